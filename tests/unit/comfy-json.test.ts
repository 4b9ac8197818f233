/**
 * ComfyUI JSON with 64-bit seeds (server/interop/comfy/json.ts): integers above 2^53 are read exactly,
 * as decimal strings, and an imported workflow or prompt keeps the exact seed.
 */
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { importComfyJson } from "../../server/interop/comfy";
import { parseComfyJson, quoteUnsafeIntegers } from "../../server/interop/comfy/json";
import { importJsonText } from "../../server/library/import";

const BIG = "18446744073709551557"; // a prime just below 2^64
const models = ["petalflow-shapes"];

const noiseSeed = (doc: { nodes: { type: string; params: Record<string, unknown> }[] }) =>
  doc.nodes.find((n) => n.type === "noise")?.params.seed;

describe("64-bit integers in ComfyUI JSON", () => {
  it("quotes only unsafe integer literals outside strings", () => {
    expect(quoteUnsafeIntegers(`{"a": ${BIG}, "b": [1, -${BIG}]}`)).toBe(
      `{"a": "${BIG}", "b": [1, "-${BIG}"]}`,
    );
    // Safe integers, floats, exponents and digits inside strings (with escaped quotes) are left alone.
    const same = `{"s": "x\\" ${BIG} \\\\", "n": 9007199254740991, "f": 12345678901234567.5, "e": 1e300}`;
    expect(quoteUnsafeIntegers(same)).toBe(same);
    expect(parseComfyJson(same)).toEqual(JSON.parse(same));
    expect(parseComfyJson(`[${BIG}]`)).toEqual([BIG]);
  });

  it("an API prompt keeps its seed exactly (JSON.parse alone rounds it)", () => {
    const text = fs
      .readFileSync("tests/fixtures/comfy/txt2img.prompt.json", "utf8")
      .replace('"seed": 42', `"seed": ${BIG}`);
    expect(text).toContain(BIG);
    expect(noiseSeed(importComfyJson(parseComfyJson(text), models)!.document)).toBe(BIG);
    expect(noiseSeed(importComfyJson(JSON.parse(text), models)!.document)).not.toBe(BIG);
    expect(noiseSeed(importJsonText(text, models).document)).toBe(BIG);
  });

  it("a UI workflow whose seed primitive holds a 64-bit value inlines it into the KSampler", () => {
    const wf = JSON.parse(fs.readFileSync("tests/fixtures/comfy/txt2img.workflow.json", "utf8"));
    for (const n of wf.nodes as { type: string; widgets_values?: unknown[] }[])
      if (n.type === "KSampler" || n.type === "PrimitiveNode") n.widgets_values![0] = 424242;
    const text = JSON.stringify(wf).replaceAll("424242", BIG);
    const got = importJsonText(text, models);
    expect(noiseSeed(got.document)).toBe(BIG);
    expect(got.document.nodes.some((n) => n.type === "primitive-int" || n.type === "primitive-text")).toBe(
      false,
    );
    expect(got.foreign?.problems).toEqual([]);
  });
});
