/**
 * A loaded ONNX session for one model part: feeds converted to the dtypes and ranks the graph declares
 * (int32 / int64 ids, float16, scalar or [B] timesteps), outputs as float32, constant feeds held (and on
 * WebGPU kept on the device) between runs.
 */
import "./ort-telemetry";
import * as ort from "onnxruntime-node";
import { fromFloat16Array, toFloat16Array } from "./float16";
import { ONNX_ELEM, oneNodeModel } from "./providers";

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
      if (opts.constant?.includes(info.name)) {
        // Held from an earlier run: taken without an await (one microtask hop less per U-Net step).
        tensors[info.name] = this.#heldConstant(info, feed) ?? (await this.#constantTensor(info, feed));
      } else tensors[info.name] = this.#toTensor(info, feed);
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
    const held = this.#heldConstant(info, feed);
    if (held) return held;
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

  /** The tensor held for this constant feed, when the caller passes the same data array again. */
  #heldConstant(info: TensorInfo, feed: TensorFeed): ort.Tensor | null {
    const held = this.#constants.get(info.name);
    if (!held || held.source !== feed.data || held.dims !== feed.dims.join(",")) return null;
    this.residency.reuses++;
    return held.tensor;
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
    // No closure per call here: this runs for every feed of every U-Net step (and tsx names each
    // closure it creates, a defineProperty each time).
    const model = this.label;
    if (info.dtype === "non-tensor")
      throw new OnnxInputError(
        model,
        info.name,
        "the model expects a non-tensor value, which is not supported",
      );
    if (!feed.dims.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new OnnxInputError(
        model,
        info.name,
        `dims [${feed.dims.join(", ")}] are not non-negative integers`,
      );
    }
    const count = feed.dims.reduce((a, b) => a * b, 1);
    if (count !== feed.data.length) {
      throw new OnnxInputError(
        model,
        info.name,
        `got ${feed.data.length} values for dims [${feed.dims.join(", ")}] (${count} needed)`,
      );
    }

    // Rank: a single value may change rank ([1] ↔ scalar ↔ [1,1]); anything else must match.
    const declared = info.shape;
    let dims = [...feed.dims];
    if (declared.length !== dims.length) {
      if (count === 1 && declared.every((d) => typeof d !== "number" || d === 1)) {
        dims = declared.map(() => 1);
      } else if (declared.length !== 0) {
        throw new OnnxInputError(
          model,
          info.name,
          `expected ${describeInfo(info)} but got rank ${dims.length} [${dims.join(", ")}]`,
        );
      }
      // declared [] with several values: onnxruntime reports [] for inputs of unknown rank too,
      // so pass the feed through and let the runtime judge.
    }
    if (declared.length === dims.length) {
      declared.forEach((d, i) => {
        if (typeof d === "number" && d !== dims[i]) {
          throw new OnnxInputError(
            model,
            info.name,
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
        for (let i = 0; i < src.length; i++) data[i] = toInteger(src[i], 2 ** 31, model, info.name);
        return new ort.Tensor("int32", data, dims);
      }
      case "int64": {
        const data = new BigInt64Array(src.length);
        for (let i = 0; i < src.length; i++) data[i] = BigInt(toInteger(src[i], 2 ** 53, model, info.name));
        return new ort.Tensor("int64", data, dims);
      }
      default:
        throw new OnnxInputError(
          model,
          info.name,
          `dtype ${info.dtype} is not supported (float32, float16, float64, int32, int64 are)`,
        );
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

function toInteger(x: number, limit: number, model: string, input: string): number {
  if (!Number.isFinite(x))
    throw new OnnxInputError(model, input, `value ${x} cannot be converted to an integer`);
  const v = Math.trunc(x);
  if (v < -limit || v >= limit)
    throw new OnnxInputError(model, input, `value ${x} is out of range for the declared integer type`);
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

function errorMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}
