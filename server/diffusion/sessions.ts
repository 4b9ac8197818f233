/**
 * ONNX Runtime sessions for model parts: lazy loading, a byte-budgeted LRU cache, execution-provider
 * choice with CPU fallback, and feeds adapted to whatever dtypes and ranks the exported graph declares
 * (int32 / int64 ids, float16 models, scalar or [B] timesteps). See REFERENCE.md §2 and STACK.md.
 */
import path from "node:path";
import "./ort-telemetry";
import * as ort from "onnxruntime-node";
import type { ModelPart } from "./models";
import { onnxWeightBytes } from "./models";
import { OnnxModel } from "./onnx-model";
import { type ProviderChoice, type ProviderReport, selectProviderOnce } from "./providers";

export { float16ToFloat32, float32ToFloat16, fromFloat16Array, toFloat16Array } from "./float16";
export {
  OnnxInputError,
  OnnxModel,
  type TensorFeed,
  type TensorInfo,
  type TensorResult,
  textHiddenSizeOf,
} from "./onnx-model";
export { cudaProviderAvailable, type ProviderChoice } from "./providers";

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
// Providers
// ---------------------------------------------------------------------------------------------

/**
 * How every model session is created. `threads` > 0 caps onnxruntime's intra-op thread pool (one per
 * core by default): several worker or runner processes on one host then share its cores instead of
 * each spinning up a pool the size of the machine.
 */
export function sessionOptions(provider: string, threads = 0): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
    // Idle intra-op threads sleep instead of spinning between runs: spinning holds every core for a
    // while after each U-Net step, starving the server process (and the HTTP answers) beside the
    // runner; on a 2-core machine it even slowed the ONNX calls themselves (25 U-Net steps: 116–121
    // ms spinning, 73–85 ms sleeping).
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
    ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
  };
}

async function createSession(file: string, provider: string, threads: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, sessionOptions(provider, threads));
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

  readonly #threads: number;

  constructor(opts: {
    budgetBytes: number;
    provider: ProviderChoice;
    log?: (msg: string) => void;
    /** onnxruntime intra-op threads per session; 0: its default (one per core). */
    threads?: number;
  }) {
    if (!(opts.budgetBytes > 0))
      throw new RangeError(`budgetBytes must be positive, got ${opts.budgetBytes}`);
    this.budgetBytes = opts.budgetBytes;
    this.#log = opts.log ?? ((msg) => console.warn(`[sessions] ${msg}`));
    this.#choice = opts.provider;
    this.#threads = opts.threads ?? 0;
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
      const session = await createSession(entry.file, provider, this.#threads);
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
        session = await createSession(entry.file, "cpu", this.#threads);
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
