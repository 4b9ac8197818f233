/**
 * Provider selection by real onnxruntime-node attempts (no mocks): on a host without the CUDA provider
 * library and without a Vulkan loader (this CI machine), `auto` must end on cpu and say why cuda and
 * webgpu could not start, in onnxruntime's own words.
 */
import fs from "node:fs";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import {
  cudaProviderAvailable,
  describeProvider,
  oneNodeModel,
  selectProvider,
  shortOrtError,
  tryProvider,
} from "../../server/diffusion/providers";

const hasVulkanLoader = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu"].some(
  (d) => fs.existsSync(`${d}/libvulkan.so.1`),
);

describe("provider selection", () => {
  it("the hand-written probe graph is a valid ONNX model computing Relu", async () => {
    const s = await ort.InferenceSession.create(oneNodeModel("Relu"));
    const out = await s.run({ x: new ort.Tensor("float32", Float32Array.from([-3, 0.5, 0]), [3]) });
    expect([...(out.y.data as Float32Array)]).toEqual([0, 0.5, 0]);
    await s.release();
  });

  it("auto tries cuda, then webgpu, then cpu, stopping at the first that runs, with each failure's reason", async () => {
    const report = await selectProvider("auto");
    const order = report.attempts.map((a) => a.provider);
    expect(["cuda", "webgpu", "cpu"].slice(0, order.length)).toEqual(order);
    expect(report.attempts.at(-1)!.ok).toBe(true);
    expect(report.provider).toBe(order.at(-1));
    for (const failed of report.attempts.slice(0, -1)) {
      expect(failed.ok).toBe(false);
      expect(failed.error!.length).toBeGreaterThan(10);
    }
    expect(describeProvider(report)).toMatch(new RegExp(`^provider: ${report.provider} \\(auto`));
  });

  it.skipIf(cudaProviderAvailable() || hasVulkanLoader)(
    "on a host with neither the CUDA provider nor a Vulkan loader, auto reports cpu and both reasons",
    async () => {
      const report = await selectProvider("auto");
      expect(report.provider).toBe("cpu");
      expect(report.attempts.map((a) => [a.provider, a.ok])).toEqual([
        ["cuda", false],
        ["webgpu", false],
        ["cpu", true],
      ]);
      expect(report.attempts[0].error).toMatch(
        /Failed to load shared library .*cuda12 npm rebuild onnxruntime-node/,
      );
      expect(report.attempts[1].error).toMatch(/^Failed to get a WebGPU adapter: .*libvulkan/);
      expect(describeProvider(report)).toMatch(
        /^provider: cpu \(auto; cuda failed: .*; webgpu failed: .*WebGPU adapter/,
      );
    },
  );

  it.skipIf(cudaProviderAvailable())(
    "an explicit cuda that cannot start is an error, not a CPU run",
    async () => {
      const report = await selectProvider("cuda");
      expect(report.provider).toBeNull();
      expect(report.attempts.map((a) => a.provider)).toEqual(["cuda"]);
      expect(report.error).toMatch(
        /^the cuda execution provider was requested .* cannot start: .*Use "auto"/,
      );
      expect(describeProvider(report)).toMatch(/^provider: none — the cuda execution provider was requested/);
    },
  );

  it("cpu always starts", async () => {
    expect(await tryProvider("cpu")).toMatchObject({ provider: "cpu", ok: true });
  });

  it("shortens onnxruntime's messages to their reason", () => {
    expect(
      shortOrtError(
        "/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n",
      ),
    ).toBe("Failed to get a WebGPU adapter: No supported adapters");
    expect(
      shortOrtError("OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library"),
    ).toBe("OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library");
  });
});
