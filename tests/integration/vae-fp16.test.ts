/**
 * A float16 VAE decoder whose output is not finite (the SDXL VAE's known fp16 overflow) fails with a
 * message that says so and what to do, instead of a black image. The tiny fp16 fixture overflows when
 * its float16 input exceeds 65504 (real onnxruntime session).
 */
import { describe, expect, it } from "vitest";
import { type Latent, Tensor, type VaeHandle } from "../../core/node/values";
import { vaeDecodeImpl } from "../../nodes/vae-decode/execute";
import { cpuRuntime } from "./helpers/runtime";

const rt = cpuRuntime("tests/fixtures/models");

async function decode(model: string, value: number) {
  const info = await rt.services.models.get(model);
  const vae: VaeHandle = {
    kind: "vae",
    modelId: model,
    scalingFactor: info.vaeScalingFactor,
    latentChannels: 4,
    hasEncoder: true,
    previewFactors: [],
    previewBias: [0, 0, 0],
  };
  const latent: Latent = { samples: new Tensor([1, 4, 2, 2], new Float32Array(16).fill(value)), sigma: 0 };
  const ctx = {
    runId: "r",
    nodeId: "decode",
    nodeType: "vae-decode",
    signal: new AbortController().signal,
    document: { nodes: [], edges: [] } as never,
    progress: () => {},
    warn: () => {},
    services: rt.services,
  };
  return vaeDecodeImpl.execute(ctx, { vae, latent }, {});
}

describe("float16 VAE overflow", () => {
  it("names the float16 overflow and the way out", async () => {
    // 2e4 / 0.18215 ≈ 1.1e5 > 65504: the float16 feed is ±Inf, the decode NaN.
    await expect(decode("tiny-sd-fp16", 2e4)).rejects.toThrow(
      /VAE decoder of model "tiny-sd-fp16" returned NaN\/Inf .*float16, which overflows past 65504.*export vae_decoder in float32/,
    );
    // The same latent through a float32 decoder is finite.
    await expect(decode("tiny-sd", 2e4)).resolves.toBeDefined();
  });
});
