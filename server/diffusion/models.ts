/**
 * Finds Stable-Diffusion-style ONNX folders (Hugging Face Optimum / diffusers layout) in a models
 * directory and describes each one without loading any ONNX session. See REFERENCE.md §2.
 *
 * ```
 * <models>/<id>/model_index.json
 *               scheduler/scheduler_config.json
 *               tokenizer/{tokenizer.json | vocab.json + merges.txt}, tokenizer_config.json, special_tokens_map.json
 *               text_encoder/model.onnx  unet/model.onnx  vae_decoder/model.onnx  [vae_encoder/model.onnx]
 *               (+ external weights next to a model.onnx: model.onnx_data, weights.pb, …)
 * ```
 */
import type { Dirent } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ConfigError, exists, ioMessage, parseWith, readJson, readOptionalConfig } from "./config-json";
import { detectFamily, padTokenOf } from "./family";
import { ModelPathError, resolveModelDir } from "./model-paths";
import { inspectPart } from "./onnx-files";

export { describeJsonError } from "./config-json";
export { looksLikeProtobuf, onnxWeightBytes } from "./onnx-files";

export type ModelPart = "text_encoder" | "text_encoder_2" | "unet" | "vae_decoder" | "vae_encoder";
export const MODEL_PARTS: readonly ModelPart[] = [
  "text_encoder",
  "text_encoder_2",
  "unet",
  "vae_decoder",
  "vae_encoder",
];
/**
 * Parts without which a folder cannot generate an image; a missing vae_encoder is only a warning.
 * A text encoder is required too: text_encoder, text_encoder_2 (SDXL) or both; an SDXL refiner has only the second.
 */
const REQUIRED_PARTS: readonly ModelPart[] = ["unet", "vae_decoder"];

/**
 * What kind of model a folder holds, from its files and configs (see family.ts): decides which
 * conditioning its U-Net takes and which templates fit.
 */
export type ModelFamily = "sd1" | "sd2" | "sd2-v" | "sdxl" | "sdxl-refiner";

export interface ModelInfo {
  /** The folder name. */
  id: string;
  /** Absolute path of the folder. */
  dir: string;
  /** `file` is the absolute path of `<part>/model.onnx`; `bytes` adds the external weight files next to it. */
  parts: Partial<Record<ModelPart, { file: string; bytes: number }>>;
  tokenizer: { dir: string; format: "tokenizer.json" | "vocab+merges" };
  /** SDXL's second tokenizer (`tokenizer_2/`, padding with "!"), present with text_encoder_2. */
  tokenizer2: { dir: string; format: "tokenizer.json" | "vocab+merges" } | null;
  /** The detected family, with the traits that change how it runs (see family.ts). */
  family: ModelFamily;
  /** A 9-channel U-Net (latent + mask + masked-image latent): needs the Inpaint conditioning. */
  inpaint: boolean;
  /** Few-step distilled models: "turbo" (SD/SDXL-Turbo: 1–4 steps, CFG off) or "lcm"; null otherwise. */
  fewStep: "turbo" | "lcm" | null;
  /** model_index.json `force_zeros_for_empty_prompt` (SDXL): an empty negative prompt is all zeros. */
  forceZerosForEmptyPrompt: boolean;
  /** Default image side in pixels: unet/config.json sample_size × 8 (512 for SD 1.x when absent). */
  defaultImageSize: number;
  /** text_encoder/config.json `hidden_size`; null when absent (read the loaded session's output shape then). */
  textHiddenSize: number | null;
  /** vae_decoder/config.json `latent_channels`, else unet/config.json `out_channels` / `in_channels`, else 4. */
  latentChannels: number;
  /** vae_decoder/config.json `scaling_factor` (0.18215 with a warning when absent). */
  vaeScalingFactor: number;
  /** scheduler_config.json `prediction_type` (diffusers' default "epsilon" when absent). */
  predictionType: "epsilon" | "v_prediction" | "sample";
  /** The raw scheduler_config.json object; the scheduler module parses it. */
  schedulerConfig: unknown;
  /** model_index.json `scheduler[1]`, else scheduler_config.json `_class_name`. */
  schedulerClass: string | null;
  /** vae_decoder/config.json `latent_rgb_factors` (rows = latent channels, columns = R, G, B). */
  previewFactors: number[][] | null;
  /** vae_decoder/config.json `latent_rgb_bias` (R, G, B). */
  previewBias: number[] | null;
  /** Sum of the parts' bytes. */
  totalBytes: number;
  warnings: string[];
}

export interface ModelProblem {
  /** The folder name ("" for a problem with the models directory itself). */
  id: string;
  dir: string;
  reason: string;
}

export interface ModelScan {
  models: ModelInfo[];
  problems: ModelProblem[];
}

export const DEFAULT_VAE_SCALING_FACTOR = 0.18215;
const DEFAULT_LATENT_CHANNELS = 4;

// ---------------------------------------------------------------------------------------------
// JSON files (reading and error messages: config-json.ts)
// ---------------------------------------------------------------------------------------------

const positiveInt = z.number().int().positive();

const modelIndexSchema = z.record(z.string(), z.unknown());
const modelIndexFlagsSchema = z.looseObject({
  _class_name: z.string().optional(),
  force_zeros_for_empty_prompt: z.boolean().optional(),
  requires_aesthetics_score: z.boolean().optional(),
});
const schedulerRefSchema = z.tuple([z.string().nullable(), z.string().nullable()]);

const schedulerConfigSchema = z.looseObject({
  _class_name: z.string().optional(),
  prediction_type: z.enum(["epsilon", "v_prediction", "sample"]).optional(),
  num_train_timesteps: positiveInt.optional(),
});
const textEncoderConfigSchema = z.looseObject({ hidden_size: positiveInt.optional() });
const unetConfigSchema = z.looseObject({
  in_channels: positiveInt.optional(),
  out_channels: positiveInt.optional(),
  sample_size: positiveInt.optional(),
  cross_attention_dim: z.union([positiveInt, z.array(positiveInt)]).optional(),
  addition_embed_type: z.string().nullable().optional(),
  projection_class_embeddings_input_dim: positiveInt.nullable().optional(),
  time_cond_proj_dim: positiveInt.nullable().optional(),
});
const vaeConfigSchema = z.looseObject({
  latent_channels: positiveInt.optional(),
  scaling_factor: z.number().positive().optional(),
});
const previewFactorsSchema = z.array(z.array(z.number()).length(3)).min(1);
const previewBiasSchema = z.array(z.number()).length(3);
const tokenizerConfigSchema = z.looseObject({ model_max_length: z.number().optional() });

// ---------------------------------------------------------------------------------------------
// One folder
// ---------------------------------------------------------------------------------------------

type Inspection = { ok: true; model: ModelInfo } | { ok: false; reason: string };

async function inspectTokenizer(
  dir: string,
  problems: string[],
  folder: "tokenizer" | "tokenizer_2" = "tokenizer",
): Promise<{ dir: string; format: "tokenizer.json" | "vocab+merges" } | null> {
  const tokDir = path.join(dir, folder);
  const has = async (name: string) => {
    try {
      const s = await fs.stat(path.join(tokDir, name));
      return s.isFile() && s.size > 0;
    } catch {
      return false;
    }
  };
  try {
    await readOptionalConfig(dir, `${folder}/tokenizer_config.json`, tokenizerConfigSchema);
    await readOptionalConfig(dir, `${folder}/special_tokens_map.json`, z.record(z.string(), z.unknown()));
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (await has("tokenizer.json")) return { dir: tokDir, format: "tokenizer.json" };
  const [vocab, merges] = await Promise.all([has("vocab.json"), has("merges.txt")]);
  if (vocab && merges) return { dir: tokDir, format: "vocab+merges" };
  const missing = [!vocab && `${folder}/vocab.json`, !merges && `${folder}/merges.txt`].filter(Boolean);
  problems.push(
    `${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} missing or empty (and there is no ${folder}/tokenizer.json)`,
  );
  return null;
}

/** Collects every reason a folder is unusable, or the description of a usable one. */
async function inspectModel(modelsDir: string, id: string): Promise<Inspection> {
  const dir = path.join(modelsDir, id);
  const problems: string[] = [];
  const warnings: string[] = [];
  const recover = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(err.message);
      return undefined;
    }
  };

  // 0. Is this an SD folder at all?
  const marks = ["model_index.json", "unet", "text_encoder", "vae_decoder", "text_encoder_2"];
  const present = await Promise.all(marks.map((m) => exists(path.join(dir, m))));
  if (!present.some(Boolean)) {
    return {
      ok: false,
      reason:
        "not a Stable Diffusion ONNX folder (no model_index.json, unet/, text_encoder/ or vae_decoder/)",
    };
  }

  // 1. ONNX parts.
  const parts: ModelInfo["parts"] = {};
  for (const part of MODEL_PARTS) {
    const r = await inspectPart(dir, part);
    if (r.ok) parts[part] = { file: r.file, bytes: r.bytes };
    else if (part === "vae_encoder" && r.missing) {
      warnings.push(`${r.reason}: image-to-image and inpainting are unavailable with this model`);
    } else if (REQUIRED_PARTS.includes(part) || !r.missing) problems.push(r.reason);
  }
  if (!parts.text_encoder && !parts.text_encoder_2 && !problems.some((p) => p.startsWith("text_encoder")))
    problems.push("text_encoder/model.onnx is missing (and there is no text_encoder_2/model.onnx)");

  // 2. model_index.json (optional: nothing at run time needs it, but a malformed one is a problem).
  let schedulerClass: string | null = null;
  let indexFlags: z.infer<typeof modelIndexFlagsSchema> = {};
  if (present[0]) {
    const index = await recover(async () =>
      parseWith(modelIndexSchema, await readJson(dir, "model_index.json"), "model_index.json"),
    );
    const ref = schedulerRefSchema.safeParse(index?.scheduler);
    if (ref.success) schedulerClass = ref.data[1];
    if (index)
      indexFlags =
        (await recover(async () => parseWith(modelIndexFlagsSchema, index, "model_index.json"))) ?? {};
  } else {
    warnings.push("model_index.json is missing");
  }

  // 3. Scheduler.
  const schedulerRel = "scheduler/scheduler_config.json";
  let schedulerConfig: unknown = null;
  let predictionType: ModelInfo["predictionType"] = "epsilon";
  await recover(async () => {
    schedulerConfig = await readJson(dir, schedulerRel);
    const parsed = parseWith(schedulerConfigSchema, schedulerConfig, schedulerRel);
    predictionType = parsed.prediction_type ?? "epsilon";
    schedulerClass ??= parsed._class_name ?? null;
  });

  // 4. Tokenizers: tokenizer/ goes with text_encoder, tokenizer_2/ with text_encoder_2 (SDXL).
  //    A refiner has only the second; its tokenizer/ (when present) is that one's too.
  const tokenizer2 = parts.text_encoder_2 ? await inspectTokenizer(dir, problems, "tokenizer_2") : null;
  const tokenizer =
    parts.text_encoder || !tokenizer2 || (await exists(path.join(dir, "tokenizer")))
      ? await inspectTokenizer(dir, problems)
      : tokenizer2;

  // 5. Component configs.
  const textConfig = await recover(() =>
    readOptionalConfig(dir, "text_encoder/config.json", textEncoderConfigSchema),
  );
  const text2Config = await recover(() =>
    readOptionalConfig(dir, "text_encoder_2/config.json", textEncoderConfigSchema),
  );
  const unetConfig = await recover(() => readOptionalConfig(dir, "unet/config.json", unetConfigSchema));
  const vaeRaw = await recover(async () =>
    (await exists(path.join(dir, "vae_decoder/config.json")))
      ? await readJson(dir, "vae_decoder/config.json")
      : undefined,
  );
  const vaeConfig = await recover(async () =>
    vaeRaw === undefined ? undefined : parseWith(vaeConfigSchema, vaeRaw, "vae_decoder/config.json"),
  );

  if (problems.length > 0 || !tokenizer) return { ok: false, reason: problems.join("; ") };

  const latentChannels =
    vaeConfig?.latent_channels ??
    unetConfig?.out_channels ??
    unetConfig?.in_channels ??
    DEFAULT_LATENT_CHANNELS;
  let vaeScalingFactor = vaeConfig?.scaling_factor;
  if (vaeScalingFactor === undefined) {
    vaeScalingFactor = DEFAULT_VAE_SCALING_FACTOR;
    warnings.push(
      `vae_decoder/config.json has no scaling_factor; using ${DEFAULT_VAE_SCALING_FACTOR} (the SD 1.x value)`,
    );
  }

  // 6. Optional latent → RGB preview factors.
  let previewFactors: number[][] | null = null;
  let previewBias: number[] | null = null;
  const vaeObj = (vaeRaw ?? {}) as Record<string, unknown>;
  if (vaeObj.latent_rgb_factors !== undefined) {
    const f = previewFactorsSchema.safeParse(vaeObj.latent_rgb_factors);
    if (f.success && f.data.length === latentChannels) previewFactors = f.data;
    else {
      warnings.push(
        `vae_decoder/config.json: latent_rgb_factors ignored (expected ${latentChannels} rows of 3 numbers)`,
      );
    }
  }
  if (vaeObj.latent_rgb_bias !== undefined) {
    const b = previewBiasSchema.safeParse(vaeObj.latent_rgb_bias);
    if (b.success) previewBias = b.data;
    else warnings.push("vae_decoder/config.json: latent_rgb_bias ignored (expected 3 numbers)");
  }

  const totalBytes = Object.values(parts).reduce((sum, p) => sum + (p?.bytes ?? 0), 0);
  const detected = detectFamily({
    id,
    hasTextEncoder: Boolean(parts.text_encoder),
    hasTextEncoder2: Boolean(parts.text_encoder_2),
    textHiddenSize: textConfig?.hidden_size ?? text2Config?.hidden_size ?? null,
    padToken: await padTokenOf(path.join(tokenizer.dir)),
    predictionType,
    schedulerClass,
    schedulerConfig,
    index: indexFlags,
    unet: unetConfig ?? {},
  });
  return {
    ok: true,
    model: {
      id,
      dir,
      parts,
      tokenizer,
      tokenizer2,
      ...detected,
      textHiddenSize: textConfig?.hidden_size ?? null,
      latentChannels,
      vaeScalingFactor,
      predictionType,
      schedulerConfig,
      schedulerClass,
      previewFactors,
      previewBias,
      totalBytes,
      warnings,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The directory
// ---------------------------------------------------------------------------------------------

/**
 * Describes every model folder directly under `modelsDir`. Never throws for a bad folder: each
 * unusable one is listed in `problems` with every reason found ("unet/model.onnx is missing",
 * "scheduler/scheduler_config.json: Expected double-quoted property name at line 3, column 20").
 * Hidden entries (".name") and plain files are ignored. Results are sorted by id.
 */
export async function scanModels(modelsDir: string): Promise<ModelScan> {
  const base = path.resolve(modelsDir);
  let entries: Dirent[];
  try {
    entries = await fs.readdir(base, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT"
        ? `models directory ${base} does not exist`
        : code === "ENOTDIR"
          ? `models directory ${base} is not a directory`
          : `models directory ${base} cannot be read: ${ioMessage(err)}`;
    return { models: [], problems: [{ id: "", dir: base, reason }] };
  }

  const candidates = entries
    .filter((e) => !e.name.startsWith(".") && (e.isDirectory() || e.isSymbolicLink()))
    .map((e) => e.name)
    .sort();

  const results = await Promise.all(
    candidates.map(async (id): Promise<{ id: string; result: Inspection } | null> => {
      const dir = path.join(base, id);
      try {
        resolveModelDir(base, id);
        if (!(await fs.stat(dir)).isDirectory()) return null; // a symlink to a file
        return { id, result: await inspectModel(base, id) };
      } catch (err) {
        if (err instanceof ModelPathError) return { id, result: { ok: false, reason: err.message } };
        return { id, result: { ok: false, reason: `cannot be read: ${ioMessage(err)}` } };
      }
    }),
  );

  const scan: ModelScan = { models: [], problems: [] };
  for (const r of results) {
    if (!r) continue;
    if (r.result.ok) scan.models.push(r.result.model);
    else scan.problems.push({ id: r.id, dir: path.join(base, r.id), reason: r.result.reason });
  }
  return scan;
}

/** Raised by ModelLibrary.get for an id that is not a usable model. */
export class ModelNotFoundError extends Error {
  override readonly name = "ModelNotFoundError";
  constructor(
    readonly modelId: string,
    /** Ids of the usable models. */
    readonly available: string[],
    /** Why the folder exists but cannot be used (absent when there is no such folder). */
    readonly reason?: string,
  ) {
    super(
      reason !== undefined
        ? `Model "${modelId}" cannot be used: ${reason}`
        : `No model "${modelId}" in the models directory; available: ${available.length ? available.join(", ") : "(none)"}`,
    );
  }
}

/** The scanned models directory, cached until `refresh()`. */
export class ModelLibrary {
  readonly modelsDir: string;
  #scan: Promise<ModelScan> | null = null;
  /**
   * Names whose folder was checked (resolveModelDir) during the runs now in progress, or null while
   * none is: a run looks its model up 7 times or so, and each check resolves two paths with realpath(3),
   * a readlink system call per path component (≈ 60 a run). Each run checks afresh.
   */
  #checkedInRun: Set<string> | null = null;
  #runs = 0;

  constructor(modelsDir: string) {
    this.modelsDir = path.resolve(modelsDir);
  }

  /**
   * A run starts (the executor calls it; `runEnded` when it ends): until then a name's folder is
   * checked once, not at every lookup. A run starting forgets the names checked before, so a link
   * swapped between runs is judged at the next run; lookups while no run is in progress check each time.
   */
  runStarted(): void {
    this.#runs++;
    this.#checkedInRun = new Set();
  }

  runEnded(): void {
    this.#runs = Math.max(0, this.#runs - 1);
    if (this.#runs === 0) this.#checkedInRun = null;
  }

  /** The cached scan (the first call scans; concurrent first calls share one scan). */
  list(): Promise<ModelScan> {
    this.#scan ??= scanModels(this.modelsDir);
    return this.#scan;
  }

  /** Scans again and replaces the cache. */
  refresh(): Promise<ModelScan> {
    this.#scan = scanModels(this.modelsDir);
    return this.#scan;
  }

  /**
   * The model with this id. An id not in the cached scan triggers one rescan (a folder may have
   * been added). Throws ModelPathError for ids that are not plain folder names (`..`, `a/b`, …),
   * and ModelNotFoundError naming the id and the usable models, or the folder's problem.
   */
  async get(id: string): Promise<ModelInfo> {
    if (!this.#checkedInRun?.has(id)) {
      resolveModelDir(this.modelsDir, id);
      this.#checkedInRun?.add(id);
    }
    let scan = await this.list();
    let hit = scan.models.find((m) => m.id === id);
    if (!hit) {
      scan = await this.refresh();
      hit = scan.models.find((m) => m.id === id);
    }
    if (hit) return hit;
    const problem = scan.problems.find((p) => p.id === id);
    throw new ModelNotFoundError(
      id,
      scan.models.map((m) => m.id),
      problem?.reason,
    );
  }
}
