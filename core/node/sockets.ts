/**
 * The closed set of socket types and the ONE rule that says which output may feed which input.
 * Both the canvas (while dragging a link) and the server-side validator call `canConnect`.
 */
export const SOCKET_TYPES = [
  "TEXT_ENCODER",
  "UNET",
  "VAE",
  "CONDITIONING",
  "LATENT",
  "NOISE",
  "SCHEDULE",
  "IMAGE",
  "MASK",
  "INT",
  "FLOAT",
  "STRING",
  "BOOLEAN",
] as const;

export type SocketType = (typeof SOCKET_TYPES)[number];

export function isSocketType(value: unknown): value is SocketType {
  return typeof value === "string" && (SOCKET_TYPES as readonly string[]).includes(value);
}

/** Colours for handles and links on the canvas (ComfyUI-like, readable on light and dark themes). */
export const SOCKET_COLORS: Record<SocketType, string> = {
  TEXT_ENCODER: "#f7c948",
  UNET: "#b39ddb",
  VAE: "#ef5350",
  CONDITIONING: "#ffa726",
  LATENT: "#f06292",
  NOISE: "#90a4ae",
  SCHEDULE: "#26a69a",
  IMAGE: "#42a5f5",
  MASK: "#8bc34a",
  INT: "#7cb342",
  FLOAT: "#9ccc65",
  STRING: "#78909c",
  BOOLEAN: "#5c6bc0",
};

export type Compatibility = { ok: true } | { ok: false; reason: string };

/**
 * May a value of socket type `from` flow into an input of type `to`?
 * Same type always; an INT widens losslessly into a FLOAT. Nothing else converts implicitly.
 */
export function canConnect(from: SocketType, to: SocketType): Compatibility {
  if (from === to) return { ok: true };
  if (from === "INT" && to === "FLOAT") return { ok: true };
  return { ok: false, reason: `${from} output cannot feed a ${to} input` };
}
