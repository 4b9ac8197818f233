/**
 * Model-aware validation: a U-Net step whose conditioning comes from text encoders of a family its U-Net
 * cannot read (an SD 1.x encoder into an SDXL U-Net, SDXL base conditioning into a refiner, 768- into
 * 1024-wide) is reported before the run, on the U-Net step's input, naming both models, families and
 * what differs. Reads the models' folders (ModelLibrary), not their ONNX sessions. The U-Net step checks
 * the real tensors again when it runs.
 */
import type { GraphDocument } from "../../core/graph/document";
import type { ValidationError } from "../../core/graph/validate";
import { familyLabel } from "./family";
import type { ModelInfo, ModelLibrary } from "./models";

const ENCODERS = new Set(["text-encoder", "text-encoder-sdxl"]);

/** What a family's U-Net reads: token-embedding width in words, and whether it needs the pooled text_embeds. */
function wants(m: ModelInfo): string {
  if (m.family === "sdxl")
    return "both SDXL text encoders' joined embeddings with the pooled text_embeds (text_encoder + text_encoder_2)";
  if (m.family === "sdxl-refiner")
    return "text_encoder_2's embeddings with the pooled text_embeds (an SDXL refiner's)";
  return `${m.textHiddenSize ?? "?"}-wide embeddings from a single text encoder (no text_embeds)`;
}

function fits(unet: ModelInfo, enc: ModelInfo): boolean {
  const xl = (m: ModelInfo) => m.family === "sdxl" || m.family === "sdxl-refiner";
  if (xl(unet) || xl(enc)) return unet.family === enc.family;
  return (
    unet.textHiddenSize === null || enc.textHiddenSize === null || unet.textHiddenSize === enc.textHiddenSize
  );
}

export async function modelPairingProblems(
  doc: GraphDocument,
  models: ModelLibrary,
): Promise<ValidationError[]> {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const into = (nodeId: string, port: string) =>
    doc.edges.find((e) => e.to.node === nodeId && e.to.port === port);
  const info = async (loaderId: string | undefined): Promise<ModelInfo | null> => {
    const loader = loaderId ? byId.get(loaderId) : undefined;
    if (loader?.type !== "model-loader") return null;
    return models.get(String((loader.params as { model?: unknown }).model)).catch(() => null);
  };
  /** The Model Loaders behind a conditioning input: back through any node until a text encoder. */
  const encoderLoaders = (nodeId: string, port: string, seen = new Set<string>()): string[] => {
    const e = into(nodeId, port);
    if (!e || seen.has(e.from.node)) return [];
    seen.add(e.from.node);
    const src = byId.get(e.from.node);
    if (!src) return [];
    if (ENCODERS.has(src.type)) {
      const l = into(src.id, "textEncoder");
      return l ? [l.from.node] : [];
    }
    // Conditioning Combine, Inpaint Conditioning, …: every input that carries conditioning.
    return doc.edges
      .filter((x) => x.to.node === src.id)
      .flatMap((x) => encoderLoaders(src.id, x.to.port, seen));
  };

  const problems: ValidationError[] = [];
  for (const step of doc.nodes.filter((n) => n.type === "unet-step" && n.mode !== "mute")) {
    const unet = await info(into(step.id, "unet")?.from.node);
    if (!unet) continue;
    for (const field of ["positive", "negative"]) {
      for (const loaderId of new Set(encoderLoaders(step.id, field))) {
        const enc = await info(loaderId);
        if (!enc || fits(unet, enc)) continue;
        problems.push({
          code: "type_mismatch",
          nodeId: step.id,
          field,
          message:
            `the U-Net of model "${unet.id}" (${familyLabel(unet)}) reads ${wants(unet)}, ` +
            `but the ${field} conditioning comes from model "${enc.id}" (${familyLabel(enc)}), which gives ${wants(enc).replace(/ \(an SDXL refiner's\)$/, "")}` +
            (unet.family === "sdxl" || unet.family === "sdxl-refiner"
              ? enc.parts.text_encoder_2
                ? ""
                : ` — it has no text_encoder_2, so no text_embeds`
              : ""),
        });
      }
    }
  }
  return problems;
}
