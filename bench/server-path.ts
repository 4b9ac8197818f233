/**
 * Benchmark 3 — server path: a run enqueued through tRPC over real HTTP (the built app, `next start`
 * on 127.0.0.1) and followed by its subscription (SSE, httpSubscriptionLink) to its terminal event ÷
 * the same graph run in-process through the executor. Goal ≤ 1.05. Also the time from the enqueue to
 * the first event and to the first U-Net step's progress event, in U-Net steps (÷ the median step).
 *
 * Both sides run the same document with a new seed each time (so nothing but the prompts is cached),
 * with latent previews on (the worker computes them for its progress events), interleaved so that
 * drift on a shared machine hits both alike. The server side adds what serving costs: the HTTP round
 * trips, the run's rows and events in SQLite, the artifact rows, the SSE stream.
 */
import { registry } from "../nodes/registry";
import { applyOverrides } from "../server/engine/overrides";
import { benchModel, benchRuntime, exampleDoc, median, report } from "./lib";
import { type BenchServer, benchClient, followRun, startServer } from "./server-lib";

export async function serverPath(opts: { repeats?: number; server?: BenchServer } = {}) {
  const repeats = Math.max(10, opts.repeats ?? Number(process.env.BENCH_REPEATS ?? 12));
  const { modelsDir, model } = benchModel();
  const server = opts.server ?? (await startServer({ modelsDir }));
  try {
    const client = benchClient(server.url, "bench-server-path");
    const rt = benchRuntime(modelsDir);
    const doc = exampleDoc("txt2img", model, 1n);
    const steps = Number(doc.nodes.find((n) => n.type === "scheduler")?.params.steps);
    const sampler = doc.nodes.find((n) => n.type === "unet-step")!.id;

    const viaServer = async (seed: number) => {
      const t0 = performance.now();
      const { runs } = await client.runs.enqueue.mutate({ document: doc, overrides: { seed, set: [] } });
      const events = await followRun(client, runs[0].id);
      const end = events.at(-1)!;
      if (end.type !== "run.finished") throw new Error(`server run ${runs[0].id} ended with ${end.type}`);
      const firstStep = events.find((e) => e.type === "node.progress" && e.nodeId === sampler);
      return {
        ms: end.at - t0,
        firstEvent: events[0].at - t0,
        firstStep: (firstStep?.at ?? Number.NaN) - t0,
      };
    };
    const inProcess = async (seed: number) => {
      const d = applyOverrides(doc, registry, { seed: BigInt(seed) });
      const t0 = performance.now();
      const r = await rt.executor.run(d, { previews: true });
      const ms = performance.now() - t0;
      if (r.status !== "succeeded") throw new Error(`in-process run failed: ${r.error?.message}`);
      return { ms, stepMs: r.results[sampler].ms / steps };
    };

    // Warm both: sessions loaded, prompts encoded, the HTTP paths compiled.
    await viaServer(1);
    await inProcess(1);
    const server_: number[] = [];
    const local: number[] = [];
    const pairs: number[] = [];
    const stepMs: number[] = [];
    const firstEvent: number[] = [];
    const firstStep: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const seed = 100 + i;
      // Alternate which side goes first.
      const [s, l] =
        i % 2 === 0
          ? [await viaServer(seed), await inProcess(seed)]
          : await (async () => {
              const l2 = await inProcess(seed);
              return [await viaServer(seed), l2] as const;
            })();
      server_.push(s.ms);
      local.push(l.ms);
      pairs.push(s.ms / l.ms);
      stepMs.push(l.stepMs);
      firstEvent.push(s.firstEvent);
      firstStep.push(s.firstStep);
    }
    // API round trips (queue.state) with the server idle, and while a run executes in its process.
    const roundTrip = async () => {
      const t0 = performance.now();
      await client.queue.state.query();
      return performance.now() - t0;
    };
    const idle: number[] = [];
    for (let i = 0; i < 10; i++) idle.push(await roundTrip());
    const busy: number[] = [];
    const { runs: batch } = await client.runs.enqueue.mutate({
      document: doc,
      overrides: { seed: 999, set: [] },
      batch: { count: 3, seeds: "sequential" },
    });
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 10; i++) busy.push(await roundTrip());
    for (const r of batch) await followRun(client, r.id);

    const ratio = median(server_) / median(local);
    const step = median(stepMs);
    const row = (ms: number) => `${ms.toFixed(1)} ms = ${(ms / step).toFixed(2)} U-Net steps`;
    report(`Server path (${model}, ${steps} steps, HTTP + SSE vs in-process, median of ${repeats})`, [
      {
        name: "enqueue over HTTP + subscription to the end ÷ in-process run",
        value: `${ratio.toFixed(3)} (per-pair median ${median(pairs).toFixed(3)})`,
        goal: "≤ 1.05",
        ok: ratio <= 1.05,
      },
      {
        name: "run time, server / in-process",
        value: `${median(server_).toFixed(1)} ms / ${median(local).toFixed(1)} ms (+${(median(server_) - median(local)).toFixed(1)} ms)`,
      },
      { name: "median U-Net step (in-process)", value: `${step.toFixed(2)} ms` },
      { name: "enqueue → first event (run.started)", value: row(median(firstEvent)) },
      { name: "enqueue → first U-Net step progress", value: row(median(firstStep)) },
      {
        name: "API round trip (queue.state) idle / during a run",
        value: `${median(idle).toFixed(1)} ms / ${row(median(busy))}`,
      },
    ]);
    return {
      ratio,
      stepMs: step,
      firstEventSteps: median(firstEvent) / step,
      firstStepSteps: median(firstStep) / step,
      busyRoundTripSteps: median(busy) / step,
    };
  } finally {
    if (!opts.server) await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await serverPath();
