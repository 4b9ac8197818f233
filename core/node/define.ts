/**
 * `defineNode` — the single declaration of a node type, read by the canvas (to draw it) and by the
 * executor (to check and run it). Declarations are plain, serialisable data: no server imports here.
 */
import { isSocketType, type SocketType } from "./sockets";

export const MAX_SEED = 18446744073709551615n; // 2^64 − 1, the range torch.manual_seed accepts

interface WidgetBase {
  description: string;
  /** Label shown on the canvas; defaults to the widget's key. */
  label?: string;
  /** "May also be fed by a link" (ComfyUI's widget↔input): the widget gets a socket of this type. */
  linkable?: boolean;
  /**
   * Read by the editor only, like ComfyUI's control_after_generate: saved with the document and
   * validated, but never given to the executor, so it is not part of any cache signature.
   */
  editorOnly?: boolean;
}
export interface IntWidget extends WidgetBase {
  kind: "int";
  default: number;
  min: number;
  max: number;
  step?: number;
  /** The value must be a multiple of this (e.g. 8 for image sides: latents are 1/8 of the image). */
  multipleOf?: number;
}
export interface FloatWidget extends WidgetBase {
  kind: "float";
  default: number;
  min: number;
  max: number;
  step?: number;
  /** Decimal places shown on the canvas. */
  precision?: number;
}
/** How the editor moves a seed on after each run (ComfyUI's control_after_generate values). */
export const SEED_CONTROLS = ["fixed", "increment", "decrement", "randomize"] as const;
export type SeedControl = (typeof SEED_CONTROLS)[number];

/** A seed: an integer in 0 … 2^64−1, stored as a number when it is a safe integer, else as a decimal string. */
export interface SeedWidget extends WidgetBase {
  kind: "seed";
  default: number;
  /**
   * The node's editor-only enum widget (options from SEED_CONTROLS) that says how the editor moves this
   * seed on after a run: editor state, never given to the executor nor part of the cache signature.
   * Without it the seed stays as it is.
   */
  controlAfterRun?: string;
}
export interface BooleanWidget extends WidgetBase {
  kind: "boolean";
  default: boolean;
}
export interface StringWidget extends WidgetBase {
  kind: "string";
  default: string;
  maxLength: number;
}
export interface TextWidget extends WidgetBase {
  kind: "text";
  default: string;
  maxLength: number;
}
export interface EnumWidget extends WidgetBase {
  kind: "enum";
  default: string;
  options: readonly string[];
  /** Text shown for an option on the canvas, when it says more than the stored value. */
  optionLabels?: Readonly<Record<string, string>>;
}
/** A model folder name under the models directory; options come from models.list at run time. */
export interface ModelWidget extends WidgetBase {
  kind: "model";
  default: string;
}
/** A reference to an uploaded image (an upload id/file name under the data directory). */
export interface ImageWidget extends WidgetBase {
  kind: "image";
  default: string;
}

export type WidgetSpec =
  | IntWidget
  | FloatWidget
  | SeedWidget
  | BooleanWidget
  | StringWidget
  | TextWidget
  | EnumWidget
  | ModelWidget
  | ImageWidget;
export type WidgetKind = WidgetSpec["kind"];

export interface InputSpec {
  type: SocketType;
  description?: string;
  optional?: boolean;
}
export interface OutputSpec {
  type: SocketType;
  description?: string;
}

/**
 * Parts the editor draws below a node's widgets, by name: the generic node view looks each one up in a
 * module-scope map (app/_components/canvas/extras/), so it holds no node type's knowledge.
 */
export const NODE_EXTRAS = [
  /** The β/ᾱ/σ plot of a schedule with the sampled timesteps (the node's params are ScheduleParams). */
  "schedule-plot",
  /** x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε at the node's `timestep`, from the schedule on its SCHEDULE input. */
  "forward-coefficients",
  /** The latest latent preview of a running node. */
  "latent-preview",
  /** The seeds a run used (Noise). */
  "seeds-used",
  /** The images a run made (output nodes). */
  "images",
  /** A brush that paints the node's mask image (Load Mask; params `image` and `channel`). */
  "mask-brush",
] as const;
export type NodeExtra = (typeof NODE_EXTRAS)[number];

/** What the editor needs beyond widgets and sockets. */
export interface NodeUi {
  extras?: readonly NodeExtra[];
}

/** Migrates a node's parameter values from `version` to `version + 1`. */
export type ParamMigration = (params: Record<string, unknown>) => Record<string, unknown>;

export interface NodeDefinition {
  /** Stable id; never renamed, since saved documents refer to it. */
  id: string;
  version: number;
  title: string;
  category: string;
  description: string;
  inputs: Record<string, InputSpec>;
  widgets: Record<string, WidgetSpec>;
  outputs: Record<string, OutputSpec>;
  /** An output node (Save Image, Preview Image…): a run computes what output nodes need. */
  isOutput?: boolean;
  /** Never cached: its result may change with identical inputs (ComfyUI's not_idempotent). */
  alwaysRun?: boolean;
  /** Other names people search for, e.g. ComfyUI's ("KSampler", "CLIP Text Encode"). */
  aliases?: readonly string[];
  /** Keyed by the version they upgrade FROM: migrations[1] turns v1 params into v2 params. */
  migrations?: Record<number, ParamMigration>;
  /**
   * Rules between parameters (one widget's bounds cannot say "end after start"). Gets the values of
   * the widgets not fed by a link (others are absent); returns each problem at its field.
   */
  checkParams?: (params: Record<string, unknown>) => { field: string; message: string }[];
  /** What the editor draws besides widgets and sockets (plots, previews, images). */
  ui?: NodeUi;
}

/** The socket type a linkable widget accepts when it is fed by a link. */
export function widgetSocketType(w: WidgetSpec): SocketType {
  switch (w.kind) {
    case "int":
    case "seed":
      return "INT";
    case "float":
      return "FLOAT";
    case "boolean":
      return "BOOLEAN";
    default:
      return "STRING";
  }
}

/** Turns a seed widget value (number or decimal string) into a bigint, or null if it is not a valid seed. */
export function parseSeed(value: unknown): bigint | null {
  let n: bigint;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) return null;
    n = BigInt(value);
  } else if (typeof value === "bigint") {
    n = value;
  } else if (typeof value === "string" && /^\d{1,20}$/.test(value)) {
    n = BigInt(value);
  } else return null;
  return n >= 0n && n <= MAX_SEED ? n : null;
}

/** The canonical JSON form of a seed: a number while it is a safe integer, else its decimal string. */
export function seedToJson(seed: bigint): number | string {
  return seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed.toString();
}

/** Checks one widget value against its declaration; returns a message or null. Never throws. */
export function checkWidgetValue(w: WidgetSpec, value: unknown): string | null {
  switch (w.kind) {
    case "int":
      if (typeof value !== "number" || !Number.isInteger(value))
        return `expected an integer, got ${showValue(value)}`;
      if (value < w.min || value > w.max) return `must be between ${w.min} and ${w.max}, got ${value}`;
      if (w.multipleOf && value % w.multipleOf !== 0)
        return `must be a multiple of ${w.multipleOf}, got ${value} (try ${nearestMultiple(w, value)})`;
      return null;
    case "float":
      if (typeof value !== "number" || !Number.isFinite(value))
        return `expected a number, got ${showValue(value)}`;
      if (value < w.min || value > w.max) return `must be between ${w.min} and ${w.max}, got ${value}`;
      return null;
    case "seed":
      return parseSeed(value) === null
        ? `expected a seed: an integer from 0 to ${MAX_SEED}, got ${showValue(value)}`
        : null;
    case "boolean":
      return typeof value === "boolean" ? null : `expected true or false, got ${showValue(value)}`;
    case "string":
    case "text":
      if (typeof value !== "string") return `expected text, got ${showValue(value)}`;
      if (value.length > w.maxLength)
        return `is too long: ${value.length} characters, at most ${w.maxLength}`;
      return null;
    case "enum":
      if (typeof value !== "string" || !w.options.includes(value))
        return `expected one of ${w.options.join(", ")}, got ${showValue(value)}`;
      return null;
    case "model":
    case "image":
      if (typeof value !== "string") return `expected a name, got ${showValue(value)}`;
      if (value.length > 255) return "is too long: at most 255 characters";
      return null;
  }
}

/** The multiple of `w.multipleOf` nearest to `value`, kept inside the widget's bounds. */
export function nearestMultiple(w: IntWidget, value: number): number {
  const m = w.multipleOf ?? 1;
  const lo = Math.ceil(w.min / m) * m;
  const hi = Math.floor(w.max / m) * m;
  return Math.min(hi, Math.max(lo, Math.round(value / m) * m));
}

function showValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return String(value);
}

const PORT_NAME = /^[a-z][a-zA-Z0-9_]{0,39}$/;
const NODE_ID = /^[a-z][a-z0-9-]{1,47}$/;

/**
 * Declares a node type and checks the declaration at load time: unique port names, known socket types,
 * defaults inside their bounds. A bad declaration throws an error naming the node — loudly, at import.
 */
export function defineNode<const D extends NodeDefinition>(def: D): D {
  const problems: string[] = [];
  if (!NODE_ID.test(def.id)) problems.push(`id "${def.id}" must be lower-case kebab-case`);
  if (!Number.isInteger(def.version) || def.version < 1) problems.push("version must be a positive integer");
  const seen = new Set<string>();
  const port = (kind: string, name: string) => {
    if (!PORT_NAME.test(name)) problems.push(`${kind} "${name}" is not a valid port name`);
    if (seen.has(`${kind === "output" ? "out" : "in"}:${name}`))
      problems.push(`duplicate ${kind} name "${name}"`);
    seen.add(`${kind === "output" ? "out" : "in"}:${name}`);
  };
  for (const [name, spec] of Object.entries(def.inputs)) {
    port("input", name);
    if (!isSocketType(spec.type)) problems.push(`input "${name}" has unknown socket type "${spec.type}"`);
  }
  for (const [name, spec] of Object.entries(def.widgets)) {
    port("widget", name);
    if (name in def.inputs) problems.push(`widget "${name}" has the same name as an input`);
    if (spec.kind === "int" || spec.kind === "float") {
      if (!(spec.min <= spec.max)) problems.push(`widget "${name}": min ${spec.min} > max ${spec.max}`);
    }
    if (
      spec.kind === "int" &&
      spec.multipleOf !== undefined &&
      !(Number.isInteger(spec.multipleOf) && spec.multipleOf > 0)
    )
      problems.push(`widget "${name}": multipleOf must be a positive integer`);
    if (spec.kind === "enum" && spec.options.length === 0) problems.push(`widget "${name}" has no options`);
    const bad = spec.kind === "model" || spec.kind === "image" ? null : checkWidgetValue(spec, spec.default);
    if (bad) problems.push(`widget "${name}" default ${bad}`);
    if (!spec.description) problems.push(`widget "${name}" needs a description`);
    if (spec.editorOnly && spec.linkable)
      problems.push(`widget "${name}" is editor-only: it cannot be linked`);
    if (spec.kind === "seed" && spec.controlAfterRun !== undefined) {
      const c = def.widgets[spec.controlAfterRun];
      if (
        c?.kind !== "enum" ||
        !c.editorOnly ||
        !c.options.every((o) => (SEED_CONTROLS as readonly string[]).includes(o))
      )
        problems.push(
          `widget "${name}": controlAfterRun "${spec.controlAfterRun}" must name an editor-only enum widget with options from ${SEED_CONTROLS.join(", ")}`,
        );
    }
  }
  for (const [name, spec] of Object.entries(def.outputs)) {
    port("output", name);
    if (!isSocketType(spec.type)) problems.push(`output "${name}" has unknown socket type "${spec.type}"`);
  }
  for (const extra of def.ui?.extras ?? [])
    if (!(NODE_EXTRAS as readonly string[]).includes(extra))
      problems.push(`ui extra "${extra}" is not one of ${NODE_EXTRAS.join(", ")}`);
  for (const from of Object.keys(def.migrations ?? {})) {
    const v = Number(from);
    if (!Number.isInteger(v) || v < 1 || v >= def.version)
      problems.push(`migration from version ${from} does not lead to a version ≤ ${def.version}`);
  }
  if (problems.length > 0)
    throw new Error(`Node type "${def.id}" is declared wrongly: ${problems.join("; ")}`);
  return def;
}

/** Default parameter values of a node type, as stored in a new document node. */
export function defaultParams(def: NodeDefinition): Record<string, unknown> {
  return Object.fromEntries(Object.entries(def.widgets).map(([k, w]) => [k, w.default]));
}
