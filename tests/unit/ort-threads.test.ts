/** PETALFLOW_ORT_THREADS: onnxruntime's intra-op pool per session, from the environment to the session. */
import path from "node:path";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { sessionOptions } from "../../server/diffusion/sessions";
import { runtimeOptions } from "../../server/runtime/options";

const ENCODER = path.resolve(__dirname, "../../models/petalflow-shapes/text_encoder/model.onnx");

describe("onnxruntime threads per session", () => {
  it("is onnxruntime's default unless set, and one setting caps the intra-op pool", () => {
    expect(runtimeOptions({}).ortThreads).toBe(0);
    expect(sessionOptions("cpu", 0)).not.toHaveProperty("intraOpNumThreads");
    expect(runtimeOptions({ PETALFLOW_ORT_THREADS: "1" }).ortThreads).toBe(1);
    expect(sessionOptions("cpu", 1)).toMatchObject({ intraOpNumThreads: 1, executionProviders: ["cpu"] });
  });

  it("refuses a bad value, naming the variable", () => {
    expect(() => runtimeOptions({ PETALFLOW_ORT_THREADS: "-2" })).toThrow(/PETALFLOW_ORT_THREADS/);
    expect(() => runtimeOptions({ PETALFLOW_ORT_THREADS: "many" })).toThrow(/PETALFLOW_ORT_THREADS/);
  });

  it("a one-thread session runs a real model and gives the same numbers as the default one", async () => {
    const feeds = { input_ids: new ort.Tensor("int32", new Int32Array(77).fill(7), [1, 77]) };
    const outputs = [];
    for (const threads of [0, 1]) {
      const session = await ort.InferenceSession.create(ENCODER, sessionOptions("cpu", threads));
      const out = await session.run(feeds);
      outputs.push(out[session.outputNames[0]].data as Float32Array);
      await session.release();
    }
    expect(outputs[1].length).toBeGreaterThan(0);
    for (let i = 0; i < outputs[0].length; i++)
      expect(Math.abs(outputs[1][i] - outputs[0][i])).toBeLessThan(1e-5);
  });
});
