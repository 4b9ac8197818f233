/**
 * The declaration says what the UI and validation need: enum params typed as their options, the
 * editor's extras by name (no node-type switch in the node view), and which widget steers a seed's
 * "control after run".
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import type { GraphDocument } from "../../../core/graph/document";
import { advanceSeeds } from "../../../core/graph/overrides";
import { defineNode, NODE_EXTRAS, type NodeDefinition } from "../../../core/node/define";
import type { ParamsOf } from "../../../core/node/implement";
import { createRegistry } from "../../../core/node/registry-core";
import type { SigmaSchedule } from "../../../core/schedulers/comfy-sigmas";
import type { SchedulerName } from "../../../core/schedulers/names";
import type { noise } from "../../../nodes/noise/definition";
import { registry } from "../../../nodes/registry";
import type { scheduler } from "../../../nodes/scheduler/definition";

const base = { version: 1, title: "T", category: "test", description: "d", inputs: {}, outputs: {} } as const;

describe("enum parameters are typed as their option union", () => {
  it("the Scheduler's and Noise's enums (checked by tsc)", () => {
    expectTypeOf<ParamsOf<typeof scheduler>["algorithm"]>().toEqualTypeOf<SchedulerName>();
    expectTypeOf<ParamsOf<typeof scheduler>["sigmaSchedule"]>().toEqualTypeOf<SigmaSchedule>();
    expectTypeOf<ParamsOf<typeof noise>["batchNoise"]>().toEqualTypeOf<"per image" | "one draw">();
    expectTypeOf<ParamsOf<typeof scheduler>["steps"]>().toEqualTypeOf<number>();
  });
});

describe("ui.extras", () => {
  it("the node types that had bespoke parts in the node view declare them", () => {
    const extras = (id: string) => registry.get(id)?.ui?.extras ?? [];
    expect(extras("scheduler")).toEqual(["schedule-plot"]);
    expect(extras("add-noise")).toEqual(["forward-coefficients"]);
    expect(extras("unet-step")).toEqual(["latent-preview"]);
    expect(extras("noise")).toEqual(["seeds-used"]);
    // Every output node taking an image shows its images (what the node view's default case did).
    for (const def of registry.list())
      if (def.isOutput && def.inputs.image) expect(extras(def.id)).toContain("images");
    for (const def of registry.list()) for (const e of def.ui?.extras ?? []) expect(NODE_EXTRAS).toContain(e);
  });

  it("an unknown extra is refused when the node is declared, naming the node", () => {
    expect(() =>
      defineNode({ ...base, id: "bad-extra", widgets: {}, ui: { extras: ["sparkles" as never] } }),
    ).toThrow(/Node type "bad-extra".*ui extra "sparkles" is not one of schedule-plot/);
  });
});

describe("controlAfterRun: a seed widget names the editor-only widget that moves it", () => {
  const twoSeeds = defineNode({
    ...base,
    id: "two-seeds",
    widgets: {
      a: { kind: "seed", default: 5, description: "moved", controlAfterRun: "how" },
      how: {
        kind: "enum",
        default: "increment",
        options: ["fixed", "increment", "decrement", "randomize"],
        description: "control after run",
        editorOnly: true,
      },
      // No controlAfterRun: a param that happens to be called "control" does not move it.
      b: { kind: "seed", default: 9, description: "kept" },
      control: { kind: "enum", default: "increment", options: ["increment"], description: "not a control" },
    },
  });
  const reg = createRegistry([twoSeeds as NodeDefinition]);
  const doc = (how: string): GraphDocument =>
    ({
      version: 1,
      nodes: [
        {
          id: "n",
          type: "two-seeds",
          version: 1,
          mode: "normal",
          position: { x: 0, y: 0 },
          params: { a: 5, how, b: 9, control: "increment" },
        },
      ],
      edges: [],
    }) as unknown as GraphDocument;
  const advanced = (how: string) => advanceSeeds(doc(how), reg, () => 777n).nodes[0].params;

  it("moves only the seed whose declared control says so", () => {
    expect(advanced("increment")).toMatchObject({ a: 6, b: 9 });
    expect(advanced("decrement")).toMatchObject({ a: 4, b: 9 });
    expect(advanced("randomize")).toMatchObject({ a: 777, b: 9 });
    expect(advanced("fixed")).toMatchObject({ a: 5, b: 9 });
  });

  it("must name an editor-only enum of seed controls", () => {
    const seedControlling = (control: Record<string, unknown>) => () =>
      defineNode({
        ...base,
        id: "bad-control",
        widgets: {
          s: { kind: "seed", default: 0, description: "s", controlAfterRun: "c" },
          c: { description: "c", ...control } as never,
        },
      });
    const message = /controlAfterRun "c" must name an editor-only enum widget/;
    expect(seedControlling({ kind: "enum", default: "fixed", options: ["fixed"] })).toThrow(message);
    expect(seedControlling({ kind: "enum", default: "x", options: ["x"], editorOnly: true })).toThrow(
      message,
    );
    expect(seedControlling({ kind: "int", default: 0, min: 0, max: 1, editorOnly: true })).toThrow(message);
    expect(
      seedControlling({ kind: "enum", default: "fixed", options: ["fixed", "randomize"], editorOnly: true }),
    ).not.toThrow();
  });
});
