/**
 * What a node's server-side execute module implements. `implement(def, …)` derives the argument and
 * result types from the declaration, so the declaration stays the single source of truth.
 */

import type { GraphDocument } from "../graph/document";
import type { FileOutput, PreviewImage } from "../run/events";
import type { NodeDefinition, WidgetSpec } from "./define";
import type { SocketValueMap } from "./values";

export interface ExecContext<S = unknown> {
  runId: string;
  nodeId: string;
  nodeType: string;
  /** Aborted when the run is cancelled: long nodes check it (a sampler, every step). */
  signal: AbortSignal;
  /** The document being run (Save Image embeds it). */
  document: GraphDocument;
  progress(step: number, total: number, preview?: () => PreviewImage | undefined): void;
  /** A `node.warning` event: shown on the node and printed by the CLI; the node goes on. */
  warn(message: string): void;
  /** The warnings given so far (kept with the cached output and repeated on a cache hit). */
  readonly warnings?: readonly string[];
  services: S;
}

export interface NodeRunResult {
  outputs: Record<string, unknown>;
  files?: FileOutput[];
  seeds?: string[];
}

export interface NodeImpl<S = unknown> {
  execute(
    ctx: ExecContext<S>,
    inputs: Record<string, unknown>,
    params: Record<string, unknown>,
  ): Promise<NodeRunResult>;
  /** Extra cache-key material for nodes whose result depends on more than params (e.g. a file's hash). */
  fingerprint?(params: Record<string, unknown>, ctx: ExecContext<S>): Promise<string> | string;
}

type WidgetValue<W extends WidgetSpec> = W extends { kind: "int" | "float" }
  ? number
  : W extends { kind: "seed" }
    ? bigint
    : W extends { kind: "boolean" }
      ? boolean
      : W extends { kind: "enum"; options: readonly (infer O extends string)[] }
        ? O // one of its options: no casts in execute.ts
        : string;

export type ParamsOf<D extends NodeDefinition> = { [K in keyof D["widgets"]]: WidgetValue<D["widgets"][K]> };
export type InputsOf<D extends NodeDefinition> = {
  [K in keyof D["inputs"]]: D["inputs"][K]["optional"] extends true
    ? SocketValueMap[D["inputs"][K]["type"]] | undefined
    : SocketValueMap[D["inputs"][K]["type"]];
};
export type OutputsOf<D extends NodeDefinition> = {
  [K in keyof D["outputs"]]: SocketValueMap[D["outputs"][K]["type"]];
};

export interface TypedRunResult<D extends NodeDefinition> {
  outputs: OutputsOf<D>;
  files?: FileOutput[];
  seeds?: string[];
}

/** Binds an execute function to its declaration with full typing; returns an untyped NodeImpl for the registry. */
export function implement<D extends NodeDefinition, S>(
  def: D,
  impl: {
    execute(
      ctx: ExecContext<S>,
      inputs: InputsOf<D>,
      params: ParamsOf<D>,
    ): Promise<TypedRunResult<D>> | TypedRunResult<D>;
    fingerprint?(params: ParamsOf<D>, ctx: ExecContext<S>): Promise<string> | string;
  },
): NodeImpl<S> & { id: string } {
  return {
    id: def.id,
    execute: async (ctx, inputs, params) =>
      (await impl.execute(ctx, inputs as InputsOf<D>, params as ParamsOf<D>)) as NodeRunResult,
    fingerprint: impl.fingerprint
      ? (params, ctx) => impl.fingerprint!(params as ParamsOf<D>, ctx)
      : undefined,
  };
}

/** `implement` with the services type fixed once: `const impl = implementFor<MyServices>()`. */
export function implementFor<S>() {
  return <D extends NodeDefinition>(def: D, impl: Parameters<typeof implement<D, S>>[1]) =>
    implement<D, S>(def, impl);
}
