/**
 * ONNX Runtime sessions for model parts: lazy loading, a byte-budgeted LRU cache, execution-provider
 * choice with CPU fallback, and feeds adapted to whatever dtypes and ranks the exported graph declares
 * (int32 / int64 ids, float16 models, scalar or [B] timesteps). See REFERENCE.md §2 and STACK.md.
 */
import path from "node:path";
import * as ort from "onnxruntime-node";
import type { ModelPart } from "./models";
import { onnxWeightBytes } from "./models";
import {
  ONNX_ELEM,
  oneNodeModel,
  type ProviderChoice,
  type ProviderReport,
  selectProviderOnce,
} from "./providers";

export { cudaProviderAvailable, type ProviderChoice } from "./providers";

/** A feed that does not match what the model declares; the message names model, input and expectation. */
export class OnnxInputError extends Error {
  override readonly name = "OnnxInputError";
  constructor(
    readonly model: string,
    readonly input: string,
    detail: string,
  ) {
    super(`${model}: input "${input}": ${detail}`);
  }
}

/** A model file that cannot be turned into a session (missing, corrupt, unsupported…). */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Cannot load ONNX model ${file}: ${reason}`, options);
  }
}

// ---------------------------------------------------------------------------------------------
// float16 ↔ float32
// ---------------------------------------------------------------------------------------------

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/**
 * IEEE 754 binary16 bits of a number, rounded to nearest, ties to even (the value is first
 * rounded to float32, as a Float32Array would store it). Overflow gives ±Infinity, NaN stays NaN.
 */
export function float32ToFloat16(value: number): number {
  f32Scratch[0] = value;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;

  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // Inf / NaN (quiet)
  const e = exp - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00; // too large: Infinity
  if (e >= 1) {
    // Normal: keep 10 mantissa bits, round on the 13 dropped ones. A carry may ripple into the
    // exponent, which is right (1.11…1 × 2^e rounds to 1.0 × 2^(e+1); 65520 and up become Inf).
    let half = (e << 10) | (mant >>> 13);
    const rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
    return sign | half;
  }
  // Subnormal half (or zero): value = full × 2^(exp−150) = (full >> shift) × 2^−24.
  const shift = 126 - exp;
  if (shift > 24) return sign; // below half of the smallest subnormal: ±0
  const full = mant | 0x800000;
  let half = full >>> shift;
  const rest = full & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
  return sign | half;
}

/** The number that binary16 bits stand for. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exp - 15) * (1 + mant / 1024);
}

let f16Table: Float32Array | null = null;

/** Float values → binary16 bits (what onnxruntime-node takes for a float16 tensor on Node 20). */
export function toFloat16Array(src: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16(src[i]);
  return out;
}

/** binary16 bits → Float32Array. */
export function fromFloat16Array(src: Uint16Array): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = float16ToFloat32(i);
  }
  const table = f16Table;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Providers
// ---------------------------------------------------------------------------------------------

async function createSession(file: string, provider: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
    // Idle intra-op threads sleep instead of spinning between runs: spinning holds every core for a
    // while after each U-Net step, starving the server process (and the HTTP answers) beside the
    // runner; on a 2-core machine it even slowed the ONNX calls themselves (25 U-Net steps: 116–121
    // ms spinning, 73–85 ms sleeping).
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  });
}

// ---------------------------------------------------------------------------------------------
// A loaded model
// ---------------------------------------------------------------------------------------------

export interface TensorFeed {
  dims: readonly number[];
  data: Float32Array | Int32Array | number[];
}

export interface TensorResult {
  dims: number[];
  data: Float32Array;
}

export interface TensorInfo {
  name: string;
  /** onnxruntime's type name ("float32", "float16", "int64", …; "non-tensor" for sequences/maps). */
  dtype: string;
  /** Fixed sizes as numbers, symbolic ones ("batch", "height") as strings; [] for a scalar. */
  shape: (number | string)[];
}

function describeInfo(info: TensorInfo): string {
  return `${info.dtype}[${info.shape.join(", ")}]`;
}

function toInfo(meta: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (!meta.isTensor) return { name: meta.name, dtype: "non-tensor", shape: [] };
  return { name: meta.name, dtype: meta.type, shape: [...meta.shape] };
}

/** A session for one model part. Get it from SessionCache; do not keep it across other cache gets. */
export class OnnxModel {
  /** "<modelId>/<part>", used in every error message. */
  readonly label: string;
  readonly file: string;
  /** The execution provider the session was created with. */
  readonly provider: string;
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  readonly outputNames: string[];
  #session: ort.InferenceSession;
  /** Constant feeds held between runs, by input name (see #constantTensor). */
  readonly #constants = new Map<string, { source: TensorFeed["data"]; dims: string; tensor: ort.Tensor }>();
  #noResidency: string | null = null;
  /** Constant feeds converted (to the model's dtype), uploaded to the GPU, and reused without either. */
  readonly residency = { conversions: 0, uploads: 0, reuses: 0 };
  #active = 0;
  #releaseRequested = false;
  #released: Promise<void> | null = null;

  constructor(session: ort.InferenceSession, label: string, file: string, provider: string) {
    this.#session = session;
    this.label = label;
    this.file = file;
    this.provider = provider;
    this.inputs = session.inputMetadata.map(toInfo);
    this.outputs = session.outputMetadata.map(toInfo);
    this.outputNames = [...session.outputNames];
  }

  /** True once the cache has evicted (or cleared) this model; `run` then throws. */
  get released(): boolean {
    return this.#releaseRequested;
  }

  /**
   * Runs the model. Each feed is converted to the dtype the model declares (float32 ↔ float16,
   * JS numbers → int32 / int64, truncating like numpy's astype), a one-element feed is reshaped to
   * the declared rank (a `[1]` timestep for a 0-d input and the reverse), and the rank and fixed
   * dimensions are checked. Symbolic dimensions are not cross-checked: exporters name them loosely
   * and diffusers feeds a [1] timestep next to a batch-2 sample. Outputs come back as float32.
   * @throws OnnxInputError naming this model, the input and the expected dtype/shape.
   */
  async run(
    feeds: Record<string, TensorFeed>,
    opts: { constant?: readonly string[] } = {},
  ): Promise<Record<string, TensorResult>> {
    if (this.#releaseRequested) {
      throw new Error(`${this.label}: this session was released by the session cache; get the model again`);
    }
    const tensors: Record<string, ort.Tensor> = {};
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.some((i) => i.name === name)) {
        throw new OnnxInputError(
          this.label,
          name,
          `the model has no such input; it takes ${this.inputs.map((i) => `${i.name}: ${describeInfo(i)}`).join(", ")}`,
        );
      }
    }
    for (const info of this.inputs) {
      const feed = feeds[info.name];
      if (!feed) {
        throw new OnnxInputError(this.label, info.name, `missing (expected ${describeInfo(info)})`);
      }
      tensors[info.name] = opts.constant?.includes(info.name)
        ? await this.#constantTensor(info, feed)
        : this.#toTensor(info, feed);
    }

    this.#active++;
    let results: Awaited<ReturnType<ort.InferenceSession["run"]>>;
    try {
      try {
        results = await this.#session.run(tensors);
      } catch (err) {
        // A GPU-resident feed the session would not take: run from host memory, and stop uploading.
        const resident = Object.keys(tensors).filter((n) => tensors[n].location === "gpu-buffer");
        if (resident.length === 0) throw err;
        this.#noResidency = `${this.label}: a GPU-resident feed failed (${errorMessage(err)}); feeding from host memory`;
        for (const n of resident) {
          tensors[n] = this.#toTensor(this.inputs.find((i) => i.name === n)!, feeds[n]);
          this.#dropConstant(n);
        }
        results = await this.#session.run(tensors);
      }
    } catch (err) {
      throw new Error(`${this.label}: inference failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.#active--;
      if (this.#active === 0 && this.#releaseRequested) void this.#releaseNow();
    }

    const out: Record<string, TensorResult> = {};
    for (const [name, value] of Object.entries(results)) {
      const tensor = value as ort.Tensor;
      out[name] = { dims: [...tensor.dims], data: toFloat32(tensor) };
    }
    return out;
  }

  /**
   * A feed that stays the same over many runs (the U-Net's text embeddings over the steps of one
   * sampling): converted to the model's dtype once while the caller passes the same data array, and,
   * on WebGPU, uploaded to a GPU buffer once and fed from there (onnxruntime-node's IO binding for
   * 'gpu-buffer' tensors), so a 25-step run does not send it to the device 25 times.
   */
  async #constantTensor(info: TensorInfo, feed: TensorFeed): Promise<ort.Tensor> {
    const held = this.#constants.get(info.name);
    if (held && held.source === feed.data && held.dims === feed.dims.join(",")) {
      this.residency.reuses++;
      return held.tensor;
    }
    this.#dropConstant(info.name);
    let tensor = this.#toTensor(info, feed);
    this.residency.conversions++;
    if (this.provider === "webgpu" && !this.#noResidency) {
      try {
        tensor = await uploadToWebGpu(tensor);
        this.residency.uploads++;
      } catch (err) {
        this.#noResidency = `${this.label}: cannot keep feeds on the GPU (${errorMessage(err)})`;
      }
    }
    this.#constants.set(info.name, { source: feed.data, dims: feed.dims.join(","), tensor });
    return tensor;
  }

  #dropConstant(name: string): void {
    const held = this.#constants.get(name);
    if (held?.tensor.location === "gpu-buffer") held.tensor.dispose();
    this.#constants.delete(name);
  }

  /** Why feeds are not kept on the GPU for this session (null when they are, or on the CPU). */
  get residencyProblem(): string | null {
    return this.#noResidency;
  }

  #toTensor(info: TensorInfo, feed: TensorFeed): ort.Tensor {
    const fail = (detail: string) => new OnnxInputError(this.label, info.name, detail);
    if (info.dtype === "non-tensor")
      throw fail("the model expects a non-tensor value, which is not supported");
    if (!feed.dims.every((d) => Number.isInteger(d) && d >= 0)) {
      throw fail(`dims [${feed.dims.join(", ")}] are not non-negative integers`);
    }
    const count = feed.dims.reduce((a, b) => a * b, 1);
    if (count !== feed.data.length) {
      throw fail(`got ${feed.data.length} values for dims [${feed.dims.join(", ")}] (${count} needed)`);
    }

    // Rank: a single value may change rank ([1] ↔ scalar ↔ [1,1]); anything else must match.
    const declared = info.shape;
    let dims = [...feed.dims];
    if (declared.length !== dims.length) {
      if (count === 1 && declared.every((d) => typeof d !== "number" || d === 1)) {
        dims = declared.map(() => 1);
      } else if (declared.length !== 0) {
        throw fail(`expected ${describeInfo(info)} but got rank ${dims.length} [${dims.join(", ")}]`);
      }
      // declared [] with several values: onnxruntime reports [] for inputs of unknown rank too,
      // so pass the feed through and let the runtime judge.
    }
    if (declared.length === dims.length) {
      declared.forEach((d, i) => {
        if (typeof d === "number" && d !== dims[i]) {
          throw fail(
            `expected ${describeInfo(info)} but got [${dims.join(", ")}] (dimension ${i} is ${dims[i]}, not ${d})`,
          );
        }
      });
    }

    const src = feed.data;
    switch (info.dtype) {
      case "float32":
        return new ort.Tensor("float32", src instanceof Float32Array ? src : Float32Array.from(src), dims);
      case "float16":
        return new ort.Tensor("float16", toFloat16Array(src), dims);
      case "float64":
        return new ort.Tensor("float64", Float64Array.from(src), dims);
      case "int32": {
        if (src instanceof Int32Array) return new ort.Tensor("int32", src, dims);
        const data = new Int32Array(src.length);
        for (let i = 0; i < src.length; i++) data[i] = toInteger(src[i], 2 ** 31, fail);
        return new ort.Tensor("int32", data, dims);
      }
      case "int64": {
        const data = new BigInt64Array(src.length);
        for (let i = 0; i < src.length; i++) data[i] = BigInt(toInteger(src[i], 2 ** 53, fail));
        return new ort.Tensor("int64", data, dims);
      }
      default:
        throw fail(`dtype ${info.dtype} is not supported (float32, float16, float64, int32, int64 are)`);
    }
  }

  /** Releases the native session now, or after the runs in progress finish. */
  release(): Promise<void> {
    this.#releaseRequested = true;
    if (this.#active > 0) return Promise.resolve();
    return this.#releaseNow();
  }

  #releaseNow(): Promise<void> {
    for (const name of [...this.#constants.keys()]) this.#dropConstant(name);
    this.#released ??= this.#session.release().catch(() => undefined);
    return this.#released;
  }
}

// One Identity session per dtype on WebGPU whose output stays in a GPU buffer: onnxruntime-node
// has no way to create a GPU tensor from host data directly (Tensor.fromGpuBuffer needs a buffer
// it made). All WebGPU sessions of a process share one device, so its output can feed the U-Net.
const uploaders = new Map<string, Promise<ort.InferenceSession>>();

async function uploadToWebGpu(t: ort.Tensor): Promise<ort.Tensor> {
  const elem = t.type === "float16" ? ONNX_ELEM.float16 : t.type === "float32" ? ONNX_ELEM.float32 : null;
  if (elem === null) throw new Error(`no GPU upload for ${t.type} tensors`);
  let s = uploaders.get(t.type);
  if (!s) {
    s = ort.InferenceSession.create(oneNodeModel("Identity", elem, true), {
      executionProviders: ["webgpu"],
      preferredOutputLocation: "gpu-buffer",
      graphOptimizationLevel: "disabled", // keep the Identity: it is the copy
      logSeverityLevel: 3,
    });
    s.catch(() => uploaders.delete(t.type));
    uploaders.set(t.type, s);
  }
  const out = (await (await s).run({ x: t })).y;
  if (out.location !== "gpu-buffer") throw new Error(`the upload came back in ${out.location} memory`);
  return out;
}

/**
 * The text encoder's hidden size from a loaded session (last dimension of `last_hidden_state`, else
 * of the first output): for folders without text_encoder/config.json (`ModelInfo.textHiddenSize` null).
 */
export function textHiddenSizeOf(model: OnnxModel): number | null {
  const out = model.outputs.find((o) => o.name === "last_hidden_state") ?? model.outputs[0];
  const last = out?.shape[out.shape.length - 1];
  return typeof last === "number" && last > 0 ? last : null;
}

function toInteger(x: number, limit: number, fail: (detail: string) => Error): number {
  if (!Number.isFinite(x)) throw fail(`value ${x} cannot be converted to an integer`);
  const v = Math.trunc(x);
  if (v < -limit || v >= limit) throw fail(`value ${x} is out of range for the declared integer type`);
  return v;
}

function toFloat32(tensor: ort.Tensor): Float32Array {
  const data = tensor.data;
  if (data instanceof Float32Array) return data;
  if (tensor.type === "float16" && data instanceof Uint16Array) return fromFloat16Array(data);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    return Float32Array.from(data, (v) => Number(v));
  }
  if (ArrayBuffer.isView(data)) return Float32Array.from(data as unknown as ArrayLike<number>);
  throw new Error(`output of type ${tensor.type} cannot be converted to float32`);
}

// ---------------------------------------------------------------------------------------------
// The cache
// ---------------------------------------------------------------------------------------------

interface Entry {
  modelId: string;
  part: ModelPart;
  file: string;
  bytes: number;
  lastUsed: number;
  order: number;
  model: OnnxModel | null;
  loading: Promise<OnnxModel> | null;
}

export interface SessionCacheStats {
  loaded: { modelId: string; part: string; bytes: number; lastUsed: number }[];
  bytes: number;
  budgetBytes: number;
  loads: number;
  hits: number;
}

const MiB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

/**
 * Loaded model parts, least recently used evicted first when the total file size of the loaded
 * parts (the memory estimate) would exceed `budgetBytes`. A part larger than the whole budget is
 * still loaded, alone, with a warning.
 */
export class SessionCache {
  readonly budgetBytes: number;
  readonly #log: (msg: string) => void;
  readonly #choice: ProviderChoice;
  #report: Promise<ProviderReport> | null = null;
  /** Set once a GPU provider chosen by `auto` failed on a real model: later loads use cpu. */
  #fallback: { from: string; error: string } | null = null;
  #known: string | null = null;
  readonly #entries = new Map<string, Entry>();
  #loads = 0;
  #hits = 0;
  #tick = 0;

  constructor(opts: { budgetBytes: number; provider: ProviderChoice; log?: (msg: string) => void }) {
    if (!(opts.budgetBytes > 0))
      throw new RangeError(`budgetBytes must be positive, got ${opts.budgetBytes}`);
    this.budgetBytes = opts.budgetBytes;
    this.#log = opts.log ?? ((msg) => console.warn(`[sessions] ${msg}`));
    this.#choice = opts.provider;
  }

  /**
   * The execution provider sessions are created with, as far as known now: "cpu", "cuda" or "webgpu"
   * ("cpu" after a GPU provider failed), "none" when the requested one cannot start, "auto" before
   * the providers were tried (providerReport() tries them).
   */
  get providerInUse(): string {
    return this.#known ?? this.#choice;
  }

  /**
   * Which provider is in use and why the faster ones are not: tried once per process (a real session
   * on each candidate), then adjusted if a GPU provider later failed on a real model.
   */
  async providerReport(): Promise<ProviderReport> {
    this.#report ??= selectProviderOnce(this.#choice);
    const report = await this.#report;
    const fb = this.#fallback;
    const out: ProviderReport = fb
      ? {
          ...report,
          provider: "cpu",
          attempts: [
            ...report.attempts.map((a) =>
              a.provider === fb.from ? { ...a, ok: false, error: fb.error } : a,
            ),
            { provider: "cpu", ok: true, ms: 0 },
          ],
        }
      : report;
    this.#known = out.provider ?? "none";
    return out;
  }

  /**
   * The session for a model part, loaded on first use. Concurrent callers for the same file share
   * one load; a failed load is not cached (the next call retries).
   * @throws ModelLoadError naming the file when it is missing or onnxruntime cannot load it.
   */
  get(key: { modelId: string; part: ModelPart; file: string }): Promise<OnnxModel> {
    const file = path.resolve(key.file);
    const existing = this.#entries.get(file);
    if (existing) {
      this.#hits++;
      this.#touch(existing);
      return existing.model ? Promise.resolve(existing.model) : existing.loading!;
    }
    const entry: Entry = {
      modelId: key.modelId,
      part: key.part,
      file,
      bytes: 0,
      lastUsed: Date.now(),
      order: ++this.#tick,
      model: null,
      loading: null,
    };
    this.#entries.set(file, entry);
    entry.loading = this.#load(entry).then(
      (model) => {
        entry.model = model;
        entry.loading = null;
        return model;
      },
      (err) => {
        if (this.#entries.get(file) === entry) this.#entries.delete(file);
        throw err;
      },
    );
    return entry.loading;
  }

  async #load(entry: Entry): Promise<OnnxModel> {
    const label = `${entry.modelId}/${entry.part}`;
    try {
      entry.bytes = await onnxWeightBytes(entry.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModelLoadError(entry.file, code === "ENOENT" ? "the file does not exist" : String(err), {
        cause: err,
      });
    }
    await this.#makeRoom(entry);

    const report = await this.providerReport();
    if (!report.provider) throw new ModelLoadError(entry.file, report.error ?? "no execution provider");
    const provider = report.provider;
    this.#loads++;
    try {
      const session = await createSession(entry.file, provider);
      this.#log(`loaded ${label} (${mb(entry.bytes)}) on ${provider}`);
      return new OnnxModel(session, label, entry.file, provider);
    } catch (err) {
      if (provider === "cpu") throw new ModelLoadError(entry.file, errorMessage(err), { cause: err });
      // An explicitly requested GPU provider is not swapped for the CPU behind the user's back.
      if (report.requested !== "auto")
        throw new ModelLoadError(entry.file, `on ${provider}: ${errorMessage(err)}`, { cause: err });
      // The GPU provider chosen by auto failed: if CPU can load the file, the provider was the problem.
      let session: ort.InferenceSession;
      try {
        session = await createSession(entry.file, "cpu");
      } catch (cpuErr) {
        throw new ModelLoadError(entry.file, errorMessage(cpuErr), { cause: cpuErr });
      }
      if (!this.#fallback) {
        this.#fallback = { from: provider, error: `failed on ${label}: ${errorMessage(err)}` };
        this.#known = "cpu";
        this.#log(`the ${provider} execution provider failed (${errorMessage(err)}); using cpu from now on`);
      }
      this.#log(`loaded ${label} (${mb(entry.bytes)}) on cpu`);
      return new OnnxModel(session, label, entry.file, "cpu");
    }
  }

  /** Evicts least recently used loaded parts until `entry` fits in the budget. */
  async #makeRoom(entry: Entry): Promise<void> {
    const others = () => [...this.#entries.values()].filter((e) => e !== entry);
    const used = () => others().reduce((sum, e) => sum + e.bytes, 0);
    while (used() + entry.bytes > this.budgetBytes) {
      const victim = others()
        .filter((e) => e.model)
        .sort((a, b) => a.order - b.order)[0];
      if (!victim) break;
      this.#entries.delete(victim.file);
      this.#log(
        `evicted ${victim.model!.label} (${mb(victim.bytes)}) to make room for ${entry.modelId}/${entry.part}`,
      );
      await victim.model!.release();
    }
    if (used() + entry.bytes > this.budgetBytes) {
      this.#log(
        `${entry.modelId}/${entry.part} (${mb(entry.bytes)}) does not fit the session budget of ${mb(this.budgetBytes)}` +
          ` with ${mb(used())} in use or loading; loading it anyway`,
      );
    }
  }

  #touch(entry: Entry): void {
    entry.lastUsed = Date.now();
    entry.order = ++this.#tick;
  }

  stats(): SessionCacheStats {
    const loaded = [...this.#entries.values()]
      .filter((e) => e.model)
      .sort((a, b) => b.order - a.order)
      .map((e) => ({ modelId: e.modelId, part: e.part, bytes: e.bytes, lastUsed: e.lastUsed }));
    return {
      loaded,
      bytes: loaded.reduce((sum, e) => sum + e.bytes, 0),
      budgetBytes: this.budgetBytes,
      loads: this.#loads,
      hits: this.#hits,
    };
  }

  /** Releases every session (waiting for loads in progress). Counters are kept. */
  async clear(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      entries.map(async (e) => {
        const model = e.model ?? (await e.loading?.catch(() => null));
        await model?.release();
      }),
    );
  }
}

function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}
