/** Throwaway node types for engine tests (ComfyUI's StubImage idea): tiny, observable, deterministic. */
import { defineNode } from "../../../core/node/define";
import { implementFor, type NodeImpl } from "../../../core/node/implement";
import { createRegistry } from "../../../core/node/registry-core";
import { throwIfAborted } from "../../../server/engine/executor";

export const constant = defineNode({
  id: "stub-constant",
  version: 1,
  title: "Constant",
  category: "test",
  description: "Outputs its value.",
  inputs: {},
  widgets: { value: { kind: "float", default: 1, min: -100, max: 100, description: "The value." } },
  outputs: { value: { type: "FLOAT" } },
});
export const seedSource = defineNode({
  id: "stub-seed",
  version: 1,
  title: "Seed",
  category: "test",
  description: "Outputs its seed as a float.",
  inputs: {},
  widgets: { seed: { kind: "seed", default: 0, description: "The seed.", linkable: true } },
  outputs: { value: { type: "FLOAT" } },
});
export const add = defineNode({
  id: "stub-add",
  version: 2,
  title: "Add",
  category: "test",
  description: "a + b (+ offset).",
  inputs: { a: { type: "FLOAT" }, b: { type: "FLOAT", optional: true } },
  widgets: {
    offset: { kind: "float", default: 0, min: -10, max: 10, description: "Added too.", linkable: true },
  },
  outputs: { sum: { type: "FLOAT" } },
  // v1 called the widget "bias".
  migrations: { 1: ({ bias, ...rest }) => ({ ...rest, offset: bias }) },
});
export const negate = defineNode({
  id: "stub-negate",
  version: 1,
  title: "Negate",
  category: "test",
  description: "−x",
  inputs: { x: { type: "FLOAT" } },
  widgets: {},
  outputs: { y: { type: "FLOAT" } },
});
export const slow = defineNode({
  id: "stub-slow",
  version: 1,
  title: "Slow",
  category: "test",
  description: "Steps with a delay, checking for cancellation.",
  inputs: { x: { type: "FLOAT" } },
  widgets: { steps: { kind: "int", default: 5, min: 1, max: 1000, description: "Steps." } },
  outputs: { y: { type: "FLOAT" } },
});
export const boom = defineNode({
  id: "stub-boom",
  version: 1,
  title: "Boom",
  category: "test",
  description: "Throws.",
  inputs: { x: { type: "FLOAT" } },
  widgets: {},
  outputs: { y: { type: "FLOAT" } },
});
export const text = defineNode({
  id: "stub-text",
  version: 1,
  title: "Text",
  category: "test",
  description: "Outputs a string.",
  inputs: {},
  widgets: { text: { kind: "text", default: "hi", maxLength: 100, description: "Text." } },
  outputs: { text: { type: "STRING" } },
});
export const sink = defineNode({
  id: "stub-sink",
  version: 1,
  title: "Sink",
  category: "test",
  description: "An output node recording what it received.",
  inputs: { x: { type: "FLOAT" } },
  widgets: {},
  outputs: {},
  isOutput: true,
});

export const stubRegistry = createRegistry([constant, seedSource, add, negate, slow, boom, text, sink]);

export interface StubServices {
  executions: string[];
  received: number[];
}

const implement = implementFor<StubServices>();

export const stubImpls = new Map<string, NodeImpl<StubServices>>(
  [
    implement(constant, { execute: (ctx, _i, p) => log(ctx, { outputs: { value: p.value } }) }),
    implement(seedSource, {
      execute: (ctx, _i, p) => log(ctx, { outputs: { value: Number(p.seed) }, seeds: [String(p.seed)] }),
    }),
    implement(add, { execute: (ctx, i, p) => log(ctx, { outputs: { sum: i.a + (i.b ?? 0) + p.offset } }) }),
    implement(negate, { execute: (ctx, i) => log(ctx, { outputs: { y: -i.x } }) }),
    implement(slow, {
      async execute(ctx, i, p) {
        for (let s = 1; s <= p.steps; s++) {
          throwIfAborted(ctx.signal);
          await new Promise((r) => setTimeout(r, 5));
          ctx.progress(s, p.steps);
        }
        return log(ctx, { outputs: { y: i.x } });
      },
    }),
    implement(boom, {
      execute() {
        throw new Error("kaboom");
      },
    }),
    implement(text, { execute: (ctx, _i, p) => log(ctx, { outputs: { text: p.text } }) }),
    implement(sink, {
      execute(ctx, i) {
        ctx.services.received.push(i.x);
        return log(ctx, { outputs: {} });
      },
    }),
  ].map((impl) => [impl.id, impl as NodeImpl<StubServices>]),
);

function log<T>(ctx: { nodeId: string; services: StubServices }, value: T): T {
  ctx.services.executions.push(ctx.nodeId);
  return value;
}

/** A small document builder: nodes by [id, type, params], edges by "from.port->to.port". */
export function doc(
  nodes: [string, string, Record<string, unknown>?, ("normal" | "bypass" | "mute")?][],
  edges: string[],
) {
  const versions: Record<string, number> = Object.fromEntries(
    stubRegistry.list().map((d) => [d.id, d.version]),
  );
  return {
    format: "petalflow.graph",
    formatVersion: 1,
    name: "test",
    nodes: nodes.map(([id, type, params, mode], i) => ({
      id,
      type,
      version: versions[type] ?? 1,
      position: { x: i * 100, y: 0 },
      params: params ?? {},
      mode: mode ?? "normal",
    })),
    edges: edges.map((spec, i) => {
      const [from, to] = spec.split("->");
      const [fn, fp] = from.split(".");
      const [tn, tp] = to.split(".");
      return { id: `e${i}`, from: { node: fn, port: fp }, to: { node: tn, port: tp } };
    }),
  };
}
