import { describe, expect, it } from "vitest";
import { readNumberInput } from "../../../app/_lib/number-input";
import { checkWidgetValue, type IntWidget } from "../../../core/node/define";
import { emptyLatent } from "../../../nodes/empty-latent/definition";
import { registry } from "../../../nodes/registry";

const steps = registry.get("scheduler")!.widgets.steps;
const cfg = registry.get("unet-step")!.widgets.cfg;

describe("readNumberInput (what a typed number becomes, and what the field says about it)", () => {
  it("clamps an out-of-range value and says so at the field", () => {
    if (steps.kind !== "int" || cfg.kind !== "float") throw new Error("unexpected widget kinds");
    expect(readNumberInput(steps, "0")).toEqual({
      value: steps.min,
      note: `0 is below the minimum ${steps.min}: set to ${steps.min}`,
    });
    expect(readNumberInput(cfg, "-5")).toEqual({
      value: cfg.min,
      note: `-5 is below the minimum ${cfg.min}: set to ${cfg.min}`,
    });
    expect(readNumberInput(steps, String(steps.max + 1)).note).toBe(
      `${steps.max + 1} is above the maximum ${steps.max}: set to ${steps.max}`,
    );
  });

  it("says when an integer field rounds, and is silent for an acceptable value", () => {
    if (steps.kind !== "int") throw new Error("unexpected widget kind");
    expect(readNumberInput(steps, "2.6")).toEqual({ value: 3, note: "2.6 is not a whole number: set to 3" });
    expect(readNumberInput(steps, "20")).toEqual({ value: 20, note: null });
  });

  it("keeps a width that is not a multiple of 8 but flags it, with the nearest that works", () => {
    const r = readNumberInput(emptyLatent.widgets.width, "63");
    expect(r.value).toBe(63);
    expect(r.note).toBe("This value must be a multiple of 8, got 63 (try 64)");
  });

  it("rejects text that is not a number without writing anything", () => {
    expect(readNumberInput(steps as IntWidget, "abc")).toEqual({
      value: null,
      note: "“abc” is not a number",
    });
  });
});

describe("multipleOf on int widgets (checkWidgetValue: the one check for canvas and server)", () => {
  const w: IntWidget = { kind: "int", default: 64, min: 8, max: 2048, multipleOf: 8, description: "side" };
  it("accepts multiples and refuses the rest, suggesting a multiple inside the bounds", () => {
    expect(checkWidgetValue(w, 64)).toBeNull();
    expect(checkWidgetValue(w, 63)).toBe("must be a multiple of 8, got 63 (try 64)");
    expect(checkWidgetValue(w, 9)).toBe("must be a multiple of 8, got 9 (try 8)");
    expect(checkWidgetValue({ ...w, max: 2047 }, 2047)).toBe("must be a multiple of 8, got 2047 (try 2040)");
  });
});
