/**
 * The executor: runs what the requested output nodes need, in dependency order, caching node outputs
 * across runs by signature (type + version + parameters + upstream signatures), and reporting every
 * step as a typed event. A node's exception becomes a `node.failed` event, never a crash.
 */
import { hash as digest, randomUUID } from "node:crypto";
import { type DocumentEdge, type GraphDocument, stableStringify } from "../../core/graph/document";
import { type ValidationResult, validateDocument } from "../../core/graph/validate";
import { checkWidgetValue, type NodeDefinition, parseSeed } from "../../core/node/define";
import type { ExecContext, NodeImpl } from "../../core/node/implement";
import type { NodeRegistry } from "../../core/node/registry-core";
import { summarizeValue } from "../../core/node/values";
import type { FileOutput, NodeResult, RunError, RunEvent } from "../../core/run/events";
import { RunFold } from "../../core/run/fold";
import { OutputCache } from "./cache";

export interface ExecutorOptions<S> {
  registry: NodeRegistry;
  impls: ReadonlyMap<string, NodeImpl<S>>;
  services: S;
  /** Memory budget of the output cache (default 512 MiB). */
  cacheBytes?: number;
  /** Called as each run starts and as it ends (e.g. to keep a memo for the run). */
  runScope?: { start(): void; end(): void };
}

export interface RunOptions {
  runId?: string;
  /** Output node ids to compute; default: every active output node. */
  outputs?: string[];
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** Compute latent previews for progress events (default true). */
  previews?: boolean;
  /**
   * Progress events of one node at most this often (ms); its first and last step always report, and a
   * skipped step computes no preview. Default 0: every step.
   */
  progressIntervalMs?: number;
  /** The clock (ms) that progress throttling reads; default `performance.now`. Tests inject their own. */
  now?: () => number;
}

export interface RunSummary {
  runId: string;
  status: "succeeded" | "failed" | "cancelled";
  ms: number;
  results: Record<string, NodeResult>;
  /** Each computed node's outputs (also those taken from the cache). */
  outputs: Map<string, Record<string, unknown>>;
  files: FileOutput[];
  /** Seeds used, by node id (Noise nodes), as decimal strings. */
  seeds: Record<string, string[]>;
  error?: RunError;
  validation?: ValidationResult;
}

/**
 * The summary of a run that failed outside any node (an internal error, a lost runner process), with
 * the node results known so far.
 */
export function failedRunSummary(
  runId: string,
  startedMs: number,
  error: RunError,
  results: Record<string, NodeResult> = {},
): RunSummary {
  return {
    runId,
    status: "failed",
    ms: performance.now() - startedMs,
    results,
    outputs: new Map(),
    files: [],
    seeds: {},
    error,
  };
}

/** Thrown by nodes (or by `throwIfAborted`) when the run's signal is aborted. */
export class RunCancelledError extends Error {
  constructor() {
    super("the run was cancelled");
    this.name = "RunCancelledError";
  }
}

export class Executor<S = unknown> {
  readonly cache: OutputCache;
  private readonly registry: NodeRegistry;
  private readonly impls: ReadonlyMap<string, NodeImpl<S>>;
  readonly services: S;
  private readonly runScope: ExecutorOptions<S>["runScope"];

  constructor(opts: ExecutorOptions<S>) {
    this.registry = opts.registry;
    this.impls = opts.impls;
    this.services = opts.services;
    this.runScope = opts.runScope;
    this.cache = new OutputCache(opts.cacheBytes ?? 512 * 1024 * 1024);
  }

  validate(doc: unknown): ValidationResult {
    return validateDocument(doc, this.registry);
  }

  async run(input: unknown, opts: RunOptions = {}): Promise<RunSummary> {
    if (!this.runScope) return this.runInScope(input, opts);
    this.runScope.start();
    try {
      return await this.runInScope(input, opts);
    } finally {
      this.runScope.end();
    }
  }

  private async runInScope(input: unknown, opts: RunOptions): Promise<RunSummary> {
    const runId = opts.runId ?? randomUUID();
    const started = performance.now();
    // Node results come from the events, through the one reducer the runner and the browser use too.
    const fold = new RunFold(runId);
    // The summary's node results are rebuilt from the fold when read (the run's end, a cancel), not
    // after every event: one pass per run instead of one per node event.
    let resultsStale = false;
    const syncResults = () => {
      if (resultsStale) summary.results = fold.results();
      resultsStale = false;
    };
    const emit = (e: RunEvent) => {
      // Progress only moves a running node's step: results (status, ms, error) cannot change, so the
      // fold is spared one reducer call per step.
      if (e.type !== "node.progress" && fold.apply(e) && e.type.startsWith("node.")) resultsStale = true;
      try {
        opts.onEvent?.(e);
      } catch {
        // A listener's bug must not break the run.
      }
    };
    const summary: RunSummary = {
      runId,
      status: "failed",
      ms: 0,
      results: {},
      outputs: new Map(),
      files: [],
      seeds: {},
    };
    const finish = (status: RunSummary["status"], error?: RunError): RunSummary => {
      syncResults();
      summary.status = status;
      summary.ms = performance.now() - started;
      summary.error = error;
      const base = { runId, ms: summary.ms, results: summary.results };
      if (status === "succeeded") emit({ type: "run.finished", ...base });
      else if (status === "cancelled") emit({ type: "run.cancelled", ...base });
      else emit({ type: "run.failed", ...base, error: error ?? { message: "the run failed" } });
      return summary;
    };

    const validation = this.validate(input);
    summary.validation = validation;
    if (!validation.ok || !validation.document) {
      const first = validation.errors
        .slice(0, 3)
        .map((e) => (e.nodeId ? `${e.nodeId}.${e.field ?? ""}: ` : "") + e.message);
      return finish("failed", {
        code: "invalid_document",
        nodeId: validation.errors[0]?.nodeId,
        message: `the graph is not valid (${validation.errors.length} problem${validation.errors.length === 1 ? "" : "s"}): ${first.join("; ")}`,
      });
    }
    const doc = validation.document;
    const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
    const incoming = new Map<string, Map<string, DocumentEdge>>();
    for (const e of doc.edges) {
      if (!incoming.has(e.to.node)) incoming.set(e.to.node, new Map());
      incoming.get(e.to.node)!.set(e.to.port, e);
    }
    const defOf = (id: string) => this.registry.get(nodes.get(id)!.type)!;

    // 1. What to compute: the requested outputs and everything upstream of them.
    const plan = planRun(doc, incoming, defOf, opts.outputs);
    if ("bad" in plan)
      return finish("failed", { code: "bad_request", message: `not output nodes: ${plan.bad.join(", ")}` });
    const order = plan.order;
    emit({ type: "run.started", runId, at: Date.now(), plan: order });

    // 2. Run in order.
    const cancel = (from: string) => {
      syncResults();
      return this.cancelRest(summary, order, from, finish, emit, nodes);
    };
    const signatures = new Map<string, string>();
    const signal = opts.signal ?? new AbortController().signal;
    for (const id of order) {
      if (signal.aborted) return cancel(id);
      const node = nodes.get(id)!;
      const def = defOf(id);
      const nodeType = def.id;
      const skip = (reason: string) => {
        emit({ type: "node.skipped", runId, nodeId: id, nodeType, reason });
      };
      if (node.mode === "mute") {
        skip("muted");
        continue;
      }
      const { inputs, inputSigs, missing } = gatherInputs(def, incoming.get(id), summary.outputs, signatures);
      if (missing) {
        skip(missing);
        continue;
      }
      if (node.mode === "bypass") {
        summary.outputs.set(id, bypassOutputs(def, inputs));
        signatures.set(id, hash({ bypass: id, inputs: inputSigs }));
        skip("bypassed");
        continue;
      }
      const { params, badLinkedValue } = resolveParams(def, node.params, inputs);
      if (badLinkedValue)
        return this.failNode(summary, id, nodeType, new Error(badLinkedValue), finish, emit);
      const impl = this.impls.get(nodeType);
      const ctx = this.context(runId, id, nodeType, signal, doc, emit, {
        listening: opts.onEvent !== undefined,
        previews: opts.previews !== false,
        intervalMs: opts.progressIntervalMs ?? 0,
        now: opts.now ?? (() => performance.now()),
      });
      let fingerprint = "";
      try {
        fingerprint = impl?.fingerprint ? await impl.fingerprint(params, ctx) : "";
      } catch (e) {
        return this.failNode(summary, id, nodeType, e, finish, emit);
      }
      const sig = nodeSignature(
        nodeType,
        def.version,
        stableStringify(params, 0),
        inputSigs,
        fingerprint,
        def.alwaysRun ? runId : null,
      );
      signatures.set(id, sig);
      const cacheable = !def.isOutput && !def.alwaysRun;
      const hit = cacheable ? this.cache.get(sig) : undefined;
      if (hit) {
        summary.outputs.set(id, hit.outputs);
        if (hit.seeds) summary.seeds[id] = hit.seeds;
        emit({
          type: "node.cached",
          runId,
          nodeId: id,
          nodeType,
          ...(hit.seeds ? { seeds: hit.seeds } : {}),
        });
        for (const message of hit.warnings ?? [])
          emit({ type: "node.warning", runId, nodeId: id, nodeType, message, cached: true });
        continue;
      }
      if (!impl)
        return this.failNode(
          summary,
          id,
          nodeType,
          new Error(`no executor is registered for node type "${nodeType}"`),
          finish,
          emit,
        );
      emit({ type: "node.started", runId, nodeId: id, nodeType });
      const t0 = performance.now();
      let result: Awaited<ReturnType<NodeImpl<S>["execute"]>>;
      try {
        result = await impl.execute(ctx, inputs, params);
        const missingOut = Object.keys(def.outputs).filter((k) => result.outputs?.[k] === undefined);
        if (missingOut.length)
          throw new Error(`produced no value for output ${missingOut.map((k) => `"${k}"`).join(", ")}`);
      } catch (e) {
        if (signal.aborted) return cancel(id);
        return this.failNode(summary, id, nodeType, e, finish, emit);
      }
      const ms = performance.now() - t0;
      summary.outputs.set(id, result.outputs);
      if (result.seeds) summary.seeds[id] = result.seeds;
      if (result.files) summary.files.push(...result.files);
      if (cacheable) this.cache.set(sig, result.outputs, result.seeds, ctx.warnings);
      // Always emitted (the summary's node results come from it); the output summaries walk every
      // value, so they are built only when someone listens.
      emit({
        type: "node.finished",
        runId,
        nodeId: id,
        nodeType,
        ms,
        outputs: opts.onEvent
          ? Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, summarizeValue(v)]))
          : {},
        files: result.files,
        seeds: result.seeds,
      });
    }
    return finish("succeeded");
  }

  private context(
    runId: string,
    nodeId: string,
    nodeType: string,
    signal: AbortSignal,
    document: GraphDocument,
    emit: (e: RunEvent) => void,
    progress: { listening: boolean; previews: boolean; intervalMs: number; now: () => number },
  ): ExecContext<S> {
    let lastReport = Number.NEGATIVE_INFINITY;
    const warnings: string[] = [];
    return {
      runId,
      nodeId,
      nodeType,
      signal,
      document,
      services: this.services,
      progress: (step, total, preview) => {
        // Progress changes no result: with nobody listening there is nothing to build or send.
        if (!progress.listening) return;
        const now = progress.now();
        if (step > 1 && step < total && now - lastReport < progress.intervalMs) return;
        lastReport = now;
        let image: ReturnType<NonNullable<typeof preview>>;
        try {
          image = progress.previews && preview ? preview() : undefined;
        } catch {
          image = undefined; // a preview is a nicety; never fail a step over it
        }
        emit({
          type: "node.progress",
          runId,
          nodeId,
          nodeType,
          step,
          total,
          ...(image ? { preview: image } : {}),
        });
      },
      warnings,
      warn: (message) => {
        warnings.push(message);
        emit({ type: "node.warning", runId, nodeId, nodeType, message });
      },
    };
  }

  private failNode(
    summary: RunSummary,
    nodeId: string,
    nodeType: string,
    e: unknown,
    finish: (s: RunSummary["status"], err?: RunError) => RunSummary,
    emit: (e: RunEvent) => void,
  ): RunSummary {
    const message = e instanceof Error ? e.message : String(e);
    const error: RunError = { message, nodeId, nodeType, code: e instanceof Error ? e.name : undefined };
    emit({ type: "node.failed", runId: summary.runId, nodeId, nodeType, error });
    return finish("failed", error);
  }

  private cancelRest(
    summary: RunSummary,
    order: string[],
    from: string,
    finish: (s: RunSummary["status"], err?: RunError) => RunSummary,
    emit: (e: RunEvent) => void,
    nodes: Map<string, { type: string }>,
  ): RunSummary {
    for (const id of order.slice(order.indexOf(from))) {
      if (summary.results[id]) continue;
      emit({
        type: "node.skipped",
        runId: summary.runId,
        nodeId: id,
        nodeType: nodes.get(id)!.type,
        reason: "cancelled",
      });
    }
    return finish("cancelled");
  }
}

/** Bypass: each output takes the first connected input of the same socket type. */
function bypassOutputs(def: NodeDefinition, inputs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(def.outputs)) {
    const match = Object.entries(def.inputs).find(
      ([port, i]) => i.type === spec.type && inputs[port] !== undefined,
    );
    if (match) out[name] = inputs[match[0]];
  }
  return out;
}

/** Kahn's algorithm over the needed nodes; ties broken by id so the order is deterministic. */

/** The nodes a run computes, in dependency order: the requested outputs (or every enabled output node) and everything upstream of them. */
function planRun(
  doc: GraphDocument,
  incoming: Map<string, Map<string, DocumentEdge>>,
  defOf: (id: string) => NodeDefinition,
  requested: string[] | undefined,
): { order: string[] } | { bad: string[] } {
  const has = new Set(doc.nodes.map((n) => n.id));
  let targets = requested;
  if (targets) {
    const bad = targets.filter((t) => !has.has(t) || !defOf(t).isOutput);
    if (bad.length) return { bad };
  } else targets = doc.nodes.filter((n) => n.mode === "normal" && defOf(n.id).isOutput).map((n) => n.id);
  const needed = new Set<string>();
  const stack = [...targets];
  while (stack.length) {
    const id = stack.pop()!;
    if (needed.has(id)) continue;
    needed.add(id);
    for (const e of incoming.get(id)?.values() ?? []) stack.push(e.from.node);
  }
  return { order: topoOrder(needed, doc.edges) };
}

/** A node's input values from upstream with their signatures, or the reason why it cannot run. */
function gatherInputs(
  def: NodeDefinition,
  edges: Map<string, DocumentEdge> | undefined,
  outputs: Map<string, Record<string, unknown>>,
  signatures: Map<string, string>,
) {
  const inputs: Record<string, unknown> = {};
  const inputSigs: Record<string, string> = {};
  let missing: string | null = null;
  for (const [port, e] of edges ?? []) {
    const value = outputs.get(e.from.node)?.[e.from.port];
    if (value === undefined) {
      const required = def.inputs[port] ? !def.inputs[port].optional : true;
      if (required) missing ??= `its input "${port}" comes from "${e.from.node}", which did not run`;
      continue;
    }
    inputs[port] = value;
    inputSigs[port] = `${signatures.get(e.from.node)}#${e.from.port}`;
  }
  return { inputs, inputSigs, missing };
}

/**
 * The parameters an implementation sees: the document's values, with linked widgets taken (and
 * removed) from `inputs`; seeds as bigint; editor-only widgets left out (they cannot change an output,
 * so they stay out of the signature). A linked value is checked here: validation saw only the document.
 */
function resolveParams(
  def: NodeDefinition,
  docParams: Record<string, unknown>,
  inputs: Record<string, unknown>,
) {
  const params: Record<string, unknown> = {};
  let badLinkedValue: string | null = null;
  for (const [name, w] of Object.entries(def.widgets)) {
    if (w.editorOnly) continue;
    const fromLink = name in inputs;
    let v = fromLink ? inputs[name] : docParams[name];
    if (fromLink) delete inputs[name];
    const bad = fromLink && w.kind !== "seed" ? checkWidgetValue(w, v) : null;
    if (bad) badLinkedValue ??= `${w.label ?? name} (from its link) ${bad}`;
    if (w.kind === "seed") v = parseSeed(typeof v === "number" ? Math.trunc(v) : v) ?? 0n;
    params[name] = v;
  }
  return { params, badLinkedValue };
}

export function topoOrder(needed: ReadonlySet<string>, edges: readonly DocumentEdge[]): string[] {
  const indeg = new Map<string, number>([...needed].map((id) => [id, 0]));
  const out = new Map<string, string[]>();
  for (const e of edges) {
    if (!needed.has(e.from.node) || !needed.has(e.to.node)) continue;
    indeg.set(e.to.node, indeg.get(e.to.node)! + 1);
    out.set(e.from.node, [...(out.get(e.from.node) ?? []), e.to.node]);
  }
  const ready = [...needed].filter((id) => indeg.get(id) === 0).sort();
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const next of out.get(id) ?? []) {
      indeg.set(next, indeg.get(next)! - 1);
      if (indeg.get(next) === 0) {
        ready.push(next);
        ready.sort();
      }
    }
  }
  return order;
}

/**
 * A node's signature: its type, version, parameters (canonical JSON), upstream signatures by port
 * (sorted), fingerprint and, for always-run nodes, the run id. Spelled as one JSON array built here
 * rather than sorted and stringified as an object: the same inputs, one walk less per node.
 */
function nodeSignature(
  type: string,
  version: number,
  paramsJson: string,
  inputSigs: Record<string, string>,
  fingerprint: string,
  nonce: string | null,
): string {
  const inputs = Object.keys(inputSigs)
    .sort()
    .map((port) => [port, inputSigs[port]]);
  const text = JSON.stringify([type, version, paramsJson, inputs, fingerprint, nonce]);
  return digest("sha256", text, "hex").slice(0, 32);
}

function hash(value: unknown): string {
  // One-shot hashing: a quarter of createHash()'s cost, paid for every node of every run.
  return digest("sha256", stableStringify(value, 0), "hex").slice(0, 32);
}

/** For long nodes: throws RunCancelledError if the run was cancelled. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new RunCancelledError();
}
