/**
 * Broken model folders, with the server app running (worker included): a run on `broken-onnx` (a
 * garbage unet/model.onnx) fails on its Model Loader naming the model; a run on `wrong-shapes` (a
 * U-Net whose tensors do not fit the text encoder's) fails on the U-Net step naming the model and the
 * input `encoder_hidden_states`. The failure reaches the client three ways (the run row, the event
 * stream, runs.list) and afterwards the server still serves: a tiny-sd run succeeds and system.stats
 * answers.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeTestApp, type TestApp, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { collect } from "../helpers/events";

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp();
});

afterAll(async () => {
  await t?.close();
});

async function failedRun(model: string) {
  const { runs } = await t.caller.runs.enqueue({ document: txt2img({ model }) });
  const id = runs[0].id;
  expect(await waitForRun(t.app, id)).toBe("failed");
  const run = await t.caller.runs.get({ id });
  const events = await collect(await t.caller.runs.events({ runId: id }));
  return { run, events: events.map((e) => e.data) };
}

it("lists the broken folder with its reason, and the mis-shaped one as usable", async () => {
  const { models, problems } = await t.caller.models.list({ refresh: true });
  expect(problems.find((p) => p.id === "broken-onnx")?.reason).toMatch(
    /unet\/model\.onnx is not an ONNX model/,
  );
  expect(models.map((m) => m.id)).toContain("wrong-shapes");
});

it("a run on a broken ONNX file fails on the Model Loader, naming the model", async () => {
  const { run, events } = await failedRun("broken-onnx");
  expect(run.error?.nodeId).toBe("model");
  expect(run.error?.message).toMatch(/broken-onnx/);
  expect(run.error?.message).toMatch(/unet\/model\.onnx/);
  expect(run.nodeResults.model.status).toBe("failed");
  expect(run.images).toEqual([]);
  const failed = events.find((e) => e.type === "node.failed");
  expect(failed).toMatchObject({ nodeId: "model", nodeType: "model-loader" });
  expect(events.at(-1)).toMatchObject({ type: "run.failed", error: { nodeId: "model" } });
});

it("a run on a U-Net with the wrong tensor shapes fails on the U-Net step, naming the model and the input", async () => {
  const { run, events } = await failedRun("wrong-shapes");
  expect(run.error?.nodeId).toBe("sample");
  expect(run.error?.nodeType).toBe("unet-step");
  expect(run.error?.message).toMatch(/wrong-shapes\/unet/);
  expect(run.error?.message).toMatch(/encoder_hidden_states/);
  // The nodes before it ran; the ones after it did not.
  expect(run.nodeResults.model.status).toBe("ran");
  expect(run.nodeResults.pos.status).toBe("ran");
  expect(run.nodeResults.sample.status).toBe("failed");
  expect(run.nodeResults.decode?.status ?? "skipped").not.toBe("ran");
  expect(events.find((e) => e.type === "node.failed")).toMatchObject({
    nodeId: "sample",
    nodeType: "unet-step",
  });
  const listed = await t.caller.runs.list({ status: ["failed"] });
  expect(listed.items.find((r) => r.id === run.id)?.error?.message).toMatch(/encoder_hidden_states/);
});

it("keeps serving afterwards: a tiny-sd run succeeds, a retry of the broken run fails the same way, stats answer", async () => {
  const { runs } = await t.caller.runs.enqueue({ document: txt2img({ model: "tiny-sd", seed: 5 }) });
  expect(await waitForRun(t.app, runs[0].id)).toBe("succeeded");
  expect((await t.caller.runs.get({ id: runs[0].id })).images).toHaveLength(1);

  const broken = (await t.caller.runs.list({ status: ["failed"] })).items[0];
  const retry = await t.caller.runs.retry({ runId: broken.id });
  expect(await waitForRun(t.app, retry.id)).toBe("failed");
  expect((await t.caller.runs.get({ id: retry.id })).error?.message).toBe(broken.error?.message);

  const stats = await t.caller.system.stats();
  expect(stats.cpu.threads).toBeGreaterThan(0);
  expect(stats.memory.totalBytes).toBeGreaterThan(0);
  expect(stats.provider).toBe("cpu");
  expect(stats.queue).toMatchObject({ length: 0, running: 0, paused: false });
  expect((await t.caller.queue.state()).running).toEqual([]);
  // And the worker is still taking runs.
  const again = await t.caller.runs.enqueue({ document: txt2img({ model: "tiny-sd", seed: 6 }) });
  expect(await waitForRun(t.app, again.runs[0].id)).toBe("succeeded");
});
