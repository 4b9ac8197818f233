/**
 * Benchmark 3 — server path: a run enqueued through tRPC over real HTTP (the built app, `next start`
 * on 127.0.0.1) and followed by its subscription (SSE, httpSubscriptionLink) to its terminal event ÷
 * the same graph run in-process through the executor. Goal ≤ 1.05. Also the time from the enqueue to
 * the first event and to the first U-Net step's progress event, in U-Net steps (÷ the median step).
 *
 * Both sides run the same document with a new seed each time (so nothing but the prompts is cached),
 * with latent previews on and the server's progress interval (PETALFLOW_PROGRESS_INTERVAL_MS) on both
 * sides, interleaved so that drift on a shared machine hits both alike. The server side adds what
 * serving costs: the HTTP round trips, the run's rows and events in SQLite, the artifact rows, the SSE
 * stream, the hand-over to the runner process. That cost is mostly fixed per run, so the ratio is
 * measured at two run lengths: the demo txt2img as it ships (25 steps, ~0.1 s on a CPU) and the same
 * graph with 200 steps (closer to a real model's run time).
 */

import { randomUUID } from "node:crypto";
import type { GraphDocument } from "../core/graph/document";
import { applyOverrides } from "../core/graph/overrides";
import { registry } from "../nodes/registry";
import { envSchema } from "../server/env";
import { benchModel, benchRuntime, exampleDoc, median, report } from "./lib";
import { type BenchServer, benchClient, followRun, startServer } from "./server-lib";

const LONG_STEPS = 200;

export async function serverPath(opts: { repeats?: number; server?: BenchServer } = {}) {
  const repeats = Math.max(10, opts.repeats ?? Number(process.env.BENCH_REPEATS ?? 12));
  const { modelsDir, model } = benchModel();
  const server = opts.server ?? (await startServer({ modelsDir }));
  try {
    const client = benchClient(server.url, "bench-server-path");
    const rt = benchRuntime(modelsDir);
    const progressIntervalMs = envSchema.parse(process.env).PETALFLOW_PROGRESS_INTERVAL_MS;
    const demo = exampleDoc("txt2img", model, 1n);
    const schedulerId = demo.nodes.find((n) => n.type === "scheduler")!.id;
    const sampler = demo.nodes.find((n) => n.type === "unet-step")!.id;
    const long = applyOverrides(demo, registry, {
      set: [{ nodeId: schedulerId, param: "steps", value: LONG_STEPS }],
    });

    // As the editor does it: the run's id chosen here and its events subscribed to alongside the
    // enqueue request, not one round trip after its answer.
    // `after`: the way it was before (and a client that does not choose ids): subscribed only once
    // the enqueue has answered. Measured alongside at 25 steps, interleaved, for the difference.
    const viaServer = async (doc: GraphDocument, seed: number, after = false) => {
      const runId = `bench-${randomUUID()}`;
      const t0 = performance.now();
      let events: Awaited<ReturnType<typeof followRun>>;
      if (after) {
        const { runs } = await client.runs.enqueue.mutate({ document: doc, overrides: { seed, set: [] } });
        events = await followRun(client, runs[0].id);
      } else {
        const followed = followRun(client, runId, { pending: true });
        await client.runs.enqueue.mutate({ document: doc, overrides: { seed, set: [] }, runIds: [runId] });
        events = await followed;
      }
      const end = events.at(-1)!;
      if (end.type !== "run.finished") throw new Error(`server run ${runId} ended with ${end.type}`);
      const firstStep = events.find((e) => e.type === "node.progress" && e.nodeId === sampler);
      return {
        ms: end.at - t0,
        firstEvent: events[0].at - t0,
        firstStep: (firstStep?.at ?? Number.NaN) - t0,
      };
    };
    // The floor: the cheapest API call (system.ping: HTTP, Next's routing, tRPC, nothing else) from this
    // client to this server, interleaved with the runs. An enqueue cannot answer, nor a run's first
    // event arrive, sooner than one of these after the click.
    const floor: number[] = [];
    const ping = async () => {
      const t0 = performance.now();
      await client.system.ping.query();
      floor.push(performance.now() - t0);
    };
    const inProcess = async (doc: GraphDocument, seed: number) => {
      const d = applyOverrides(doc, registry, { seed: BigInt(seed) });
      const steps = Number(d.nodes.find((n) => n.id === schedulerId)?.params.steps);
      const t0 = performance.now();
      const r = await rt.executor.run(d, { previews: true, progressIntervalMs });
      const ms = performance.now() - t0;
      if (r.status !== "succeeded") throw new Error(`in-process run failed: ${r.error?.message}`);
      return { ms, stepMs: r.results[sampler].ms / steps };
    };

    const measure = async (doc: GraphDocument, seedBase: number, withAfter = false) => {
      // Warm both: sessions loaded, prompts encoded, the HTTP paths compiled.
      await viaServer(doc, seedBase);
      await inProcess(doc, seedBase);
      const server_: number[] = [];
      const local: number[] = [];
      const stepMs: number[] = [];
      const firstEvent: number[] = [];
      const firstStep: number[] = [];
      const afterMs: number[] = [];
      const afterFirst: number[] = [];
      for (let i = 1; i <= repeats; i++) {
        if (withAfter) {
          const a = await viaServer(doc, seedBase + 500 + i, true);
          afterMs.push(a.ms);
          afterFirst.push(a.firstEvent);
        }
        const seed = seedBase + i;
        // Alternate which side goes first.
        let s: Awaited<ReturnType<typeof viaServer>>;
        let l: Awaited<ReturnType<typeof inProcess>>;
        if (i % 2 === 0) {
          s = await viaServer(doc, seed);
          l = await inProcess(doc, seed);
        } else {
          l = await inProcess(doc, seed);
          s = await viaServer(doc, seed);
        }
        await ping();
        await ping();
        server_.push(s.ms);
        local.push(l.ms);
        stepMs.push(l.stepMs);
        firstEvent.push(s.firstEvent);
        firstStep.push(s.firstStep);
      }
      const srv = median(server_);
      const loc = median(local);
      return {
        ratio: srv / loc,
        srv,
        loc,
        stepMs: median(stepMs),
        firstEvent: median(firstEvent),
        firstStep: median(firstStep),
        after: afterMs.length ? { ratio: median(afterMs) / loc, firstEvent: median(afterFirst) } : null,
      };
    };

    const short = await measure(demo, 100, true);
    const longer = await measure(long, 1000);

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
      document: demo,
      overrides: { seed: 999, set: [] },
      batch: { count: 3, seeds: "sequential" },
    });
    await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 10; i++) busy.push(await roundTrip());
    for (const r of batch) await followRun(client, r.id);

    const demoSteps = Number(demo.nodes.find((n) => n.id === schedulerId)?.params.steps);
    const step = short.stepMs;
    const inSteps = (ms: number) => `${ms.toFixed(1)} ms = ${(ms / step).toFixed(2)} U-Net steps`;
    const timing = (m: typeof short) =>
      `${m.srv.toFixed(1)} ms / ${m.loc.toFixed(1)} ms (+${(m.srv - m.loc).toFixed(1)} ms)`;
    report(
      `Server path (${model}, HTTP + SSE + runner process vs in-process, progress every ≥ ${progressIntervalMs} ms, median of ${repeats})`,
      [
        {
          name: `enqueue + subscription to the end ÷ in-process, ${demoSteps} steps`,
          value: short.ratio.toFixed(3),
          goal: "≤ 1.05",
          ok: short.ratio <= 1.05,
        },
        { name: `  run time, server / in-process`, value: timing(short) },
        {
          name: `the same ÷ in-process, ${LONG_STEPS} steps`,
          value: longer.ratio.toFixed(3),
          goal: "≤ 1.05",
          ok: longer.ratio <= 1.05,
        },
        { name: `  run time, server / in-process`, value: timing(longer) },
        { name: "median U-Net step (in-process)", value: `${step.toFixed(2)} ms` },
        { name: "enqueue → first event (run.started)", value: inSteps(short.firstEvent) },
        ...(short.after
          ? [
              {
                name: `  subscribed only after the enqueue answered: ÷ in-process, ${demoSteps} steps; first event`,
                value: `${short.after.ratio.toFixed(3)}; ${inSteps(short.after.firstEvent)}`,
              },
            ]
          : []),
        { name: "enqueue → first U-Net step progress", value: inSteps(short.firstStep) },
        {
          name: "floor: API round trip (system.ping, interleaved), min / median / max",
          value: `${Math.min(...floor).toFixed(1)} / ${inSteps(median(floor))} / ${Math.max(...floor).toFixed(1)} ms`,
        },
        {
          name: "API round trip (queue.state) idle / during a run",
          value: `${median(idle).toFixed(1)} ms / ${inSteps(median(busy))}`,
        },
      ],
    );
    return {
      ratio: short.ratio,
      longRatio: longer.ratio,
      fixedMs: short.srv - short.loc,
      stepMs: step,
      firstEventSteps: short.firstEvent / step,
      firstStepSteps: short.firstStep / step,
      busyRoundTripSteps: median(busy) / step,
      floorMs: median(floor),
    };
  } finally {
    if (!opts.server) await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await serverPath();
