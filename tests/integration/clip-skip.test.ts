/**
 * CLIP skip on an encoder that exports hidden_states.N: layer N − 1 through the encoder's own final
 * LayerNorm (γ, β recovered from the same run), against torch's te.final(hidden_states[−2]) of the same
 * weights (scripts/fixtures/make_tiny_inpaint.py; the fixture's LayerNorm has a non-trivial γ and β).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { encodePrompt } from "../../server/diffusion/text-encode";
import { maxAbsDiff } from "../helpers/max-diff";
import { cpuRuntime } from "./helpers/runtime";

const ref = JSON.parse(readFileSync("tests/fixtures/inpaint-reference.json", "utf8"));

describe("CLIP skip", () => {
  const rt = cpuRuntime("tests/fixtures/models");

  it("skip 2 = the penultimate layer re-normalised by the final LayerNorm, as diffusers and ComfyUI do", async () => {
    const one = await encodePrompt(rt.services, "tiny-sd-inpaint", { text: "a red painting" });
    expect(maxAbsDiff(one.embeds.data, ref.clip_skip_1)).toBeLessThan(1e-4);
    const two = await encodePrompt(rt.services, "tiny-sd-inpaint", { text: "a red painting", clipSkip: 2 });
    expect(maxAbsDiff(two.embeds.data, ref.clip_skip_2)).toBeLessThan(1e-4);
    expect(maxAbsDiff(two.embeds.data, one.embeds.data)).toBeGreaterThan(0.1);
  });

  it("says which layer is missing, or that the export has no hidden states", async () => {
    await expect(encodePrompt(rt.services, "tiny-sd-inpaint", { text: "a", clipSkip: 4 })).rejects.toThrow(
      /tiny-sd-inpaint\/text_encoder has 2 layers: CLIP skip 4 asks for layer -1/,
    );
    await expect(encodePrompt(rt.services, "tiny-sd", { text: "a", clipSkip: 2 })).rejects.toThrow(
      /tiny-sd\/text_encoder exports no hidden_states.N outputs/,
    );
  });
});
