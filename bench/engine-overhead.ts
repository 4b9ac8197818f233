/**
 * Benchmark 1 — engine overhead: a full txt2img graph through the executor ÷ the same ONNX session
 * calls in a bare loop with the same tensors (text encoder ×2, U-Net × steps, VAE decoder). Goal ≤ 1.03.
 */
import { Tensor } from "../core/node/values";
import { benchModel, benchRuntime, exampleDoc, median, report, timeIt } from "./lib";

export async function engineOverhead(repeats = Number(process.env.BENCH_REPEATS ?? 15)) {
  const { modelsDir, model } = benchModel();
  const rt = benchRuntime(modelsDir);
  const doc = exampleDoc("txt2img", model);
  // Warm: load every session once, and capture the tensors the graph feeds them.
  const first = await rt.executor.run(doc, { previews: false });
  if (first.status !== "succeeded") throw new Error(`warm-up run failed: ${first.error?.message}`);
  const get = (part: "text_encoder" | "unet" | "vae_decoder") => rt.services.session(model, part);
  const [te, unet, vae] = [await get("text_encoder"), await get("unet"), await get("vae_decoder")];
  const tok = await rt.services.tokenizer(model);
  const ids = Int32Array.from(tok.encode("a red circle on a blue background").ids);
  const empty = Int32Array.from(tok.encode("").ids);
  const steps = (first.outputs.get("schedule")!.schedule as { timesteps: number[] }).timesteps;
  const latentDims = (first.outputs.get("sampler")!.latent as { samples: Tensor }).samples.dims;
  const n = latentDims[0];

  const bare = async () => {
    const a = await te.run({ [te.inputs[0].name]: { dims: [1, 77], data: ids } });
    const b = await te.run({ [te.inputs[0].name]: { dims: [1, 77], data: empty } });
    const ctx = Tensor.concat([
      new Tensor(b.last_hidden_state.dims, b.last_hidden_state.data),
      new Tensor(a.last_hidden_state.dims, a.last_hidden_state.data),
    ]);
    let x = new Float32Array(latentDims.reduce((p, d) => p * d, 1));
    for (const t of steps) {
      const batch = new Float32Array(x.length * 2);
      batch.set(x);
      batch.set(x, x.length);
      const out = await unet.run({
        sample: { dims: [2 * n, ...latentDims.slice(1)], data: batch },
        timestep: { dims: [2 * n], data: new Float32Array(2 * n).fill(t) },
        encoder_hidden_states: ctx,
      });
      x = out.out_sample.data.slice(0, x.length);
    }
    await vae.run({ [vae.inputs[0].name]: { dims: latentDims, data: x } });
  };
  // Where the engine's extra time goes: its own bookkeeping (the run's time outside every node) and
  // the nodes that do work besides ONNX calls (Save Image's PNG encode and write, the schedule).
  const outside: number[] = [];
  const nodeMs = new Map<string, number[]>();
  const engine = async () => {
    rt.executor.cache.clear(); // every node runs, as in the bare loop
    const t0 = performance.now();
    const r = await rt.executor.run(doc, { previews: false });
    const ms = performance.now() - t0;
    if (r.status !== "succeeded") throw new Error(r.error?.message);
    outside.push(ms - Object.values(r.results).reduce((a, x) => a + x.ms, 0));
    for (const [id, x] of Object.entries(r.results)) nodeMs.set(id, [...(nodeMs.get(id) ?? []), x.ms]);
  };
  // Interleave the two so drift on a shared machine hits both alike.
  const bareTimes: number[] = [];
  const engineTimes: number[] = [];
  for (let i = 0; i < repeats; i++) {
    bareTimes.push(...(await timeIt(bare, 1, i === 0 ? 2 : 0)));
    engineTimes.push(...(await timeIt(engine, 1, i === 0 ? 2 : 0)));
  }
  const ratio = median(engineTimes) / median(bareTimes);
  report(`Engine overhead (${model}, ${steps.length} steps, CFG, median of ${repeats})`, [
    { name: "bare ONNX loop", value: `${median(bareTimes).toFixed(1)} ms` },
    { name: "executor, full graph", value: `${median(engineTimes).toFixed(1)} ms` },
    { name: "ratio executor ÷ bare", value: ratio.toFixed(3), goal: "≤ 1.03", ok: ratio <= 1.03 },
    {
      name: "  executor bookkeeping (run time outside all nodes)",
      value: `${median(outside).toFixed(2)} ms = ${((100 * median(outside)) / median(engineTimes)).toFixed(1)}% of the run`,
    },
    {
      name: "  nodes' non-ONNX work: Save Image, Scheduler",
      value: ["save", "schedule"].map((id) => `${median(nodeMs.get(id) ?? [0]).toFixed(2)} ms`).join(", "),
    },
  ]);
  return { ratio };
}

if (import.meta.url === `file://${process.argv[1]}`) await engineOverhead();
