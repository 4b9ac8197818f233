/** Wires the executor to the real runtime: model library, ONNX session cache, tokenizers, node implementations. */
import { registry } from "../../nodes/registry";
import { ModelLibrary } from "../diffusion/models";
import { type ProviderChoice, SessionCache } from "../diffusion/sessions";
import { ClipTokenizer } from "../diffusion/tokenizer";
import { Executor } from "../engine/executor";
import { NODE_IMPLS } from "./executors";
import { runtimeOptions } from "./options";
import type { ArtifactSink, RuntimeLimits, RuntimeServices } from "./services";

export interface RuntimeOptions {
  modelsDir: string;
  provider: ProviderChoice;
  sessionBudgetBytes: number;
  outputCacheBytes: number;
  /** onnxruntime intra-op threads per session (PETALFLOW_ORT_THREADS); 0 or absent: its default. */
  ortThreads?: number;
  artifacts: ArtifactSink;
  limits: RuntimeLimits;
  log?: (message: string) => void;
}

export interface Runtime {
  services: RuntimeServices;
  executor: Executor<RuntimeServices>;
}

export function createRuntime(opts: RuntimeOptions): Runtime {
  const models = new ModelLibrary(opts.modelsDir);
  const sessions = new SessionCache({
    budgetBytes: opts.sessionBudgetBytes,
    provider: opts.provider,
    log: opts.log,
    threads: opts.ortThreads,
  });
  const tokenizers = new Map<string, Promise<ClipTokenizer>>();
  const services: RuntimeServices = {
    models,
    sessions,
    artifacts: opts.artifacts,
    limits: opts.limits,
    tokenizer(modelId, which = "tokenizer") {
      const key = `${modelId}\0${which}`;
      let t = tokenizers.get(key);
      if (!t) {
        t = models.get(modelId).then((m) => {
          const tok = which === "tokenizer_2" ? m.tokenizer2 : m.tokenizer;
          if (!tok) throw new Error(`model "${modelId}" has no ${which}/`);
          return ClipTokenizer.load(tok.dir);
        });
        t.catch(() => tokenizers.delete(key)); // let a fixed folder load next time
        tokenizers.set(key, t);
      }
      return t;
    },
    async session(modelId, part) {
      const info = await models.get(modelId);
      const file = info.parts[part]?.file;
      if (!file) throw new Error(`model "${modelId}" has no ${part}`);
      return sessions.get({ modelId: info.id, part, file });
    },
  };
  const executor = new Executor<RuntimeServices>({
    registry,
    impls: NODE_IMPLS,
    services,
    cacheBytes: opts.outputCacheBytes,
    // A model's folder is checked once a run, not at each of its ≈ 7 lookups (ModelLibrary.runStarted).
    runScope: { start: () => models.runStarted(), end: () => models.runEnded() },
  });
  return { services, executor };
}

/** The limits of an unconfigured server (PETALFLOW_MAX_* defaults), for tools with fixed settings. */
export const DEFAULT_LIMITS: RuntimeLimits = runtimeOptions({}).limits;
