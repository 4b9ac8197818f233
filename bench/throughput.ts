/**
 * Benchmark 6 — throughput: 50 runs queued by 5 concurrent clients (10 each, each client with its own
 * `x-petalflow-client` header) against one HTTP server (the built app, `next start` on 127.0.0.1),
 * each client following its runs' subscriptions to the end. Checked: all 50 finish (succeeded, one
 * image each), none is lost, and they started in the order they were queued (FIFO within a priority:
 * the start order, from the runs' startedAt, equals the queue order, queueSeq). Reported: runs per
 * minute through the server ÷ the same 50 documents run one after another in-process.
 */

import { applyOverrides } from "../core/graph/overrides";
import { registry } from "../nodes/registry";
import { envSchema } from "../server/env";
import { benchModel, benchRuntime, exampleDoc, median, report } from "./lib";
import { type BenchServer, benchClient, followRun, startServer } from "./server-lib";

export async function throughput(opts: { clients?: number; perClient?: number; server?: BenchServer } = {}) {
  const clients = opts.clients ?? 5;
  const perClient = opts.perClient ?? Number(process.env.BENCH_THROUGHPUT_PER_CLIENT ?? 10);
  const total = clients * perClient;
  const { modelsDir, model } = benchModel();
  const server = opts.server ?? (await startServer({ modelsDir }));
  try {
    const doc = exampleDoc("txt2img", model, 1n);
    const seedOf = (c: number, k: number) => 5000 + c * 100 + k;
    const warm = benchClient(server.url, "bench-warm");
    await followRun(
      warm,
      (await warm.runs.enqueue.mutate({ document: doc, overrides: { seed: 1, set: [] } })).runs[0].id,
    );

    // ---- 5 clients at once: each queues its runs (one request per run), then follows them.
    const t0 = performance.now();
    let lastEnd = t0;
    const queued: { client: number; id: string }[] = [];
    const endings = await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const client = benchClient(server.url, `bench-client-${c}`);
        const ids: string[] = [];
        for (let k = 0; k < perClient; k++) {
          const { runs } = await client.runs.enqueue.mutate({
            document: doc,
            overrides: { seed: seedOf(c, k), set: [] },
          });
          ids.push(runs[0].id);
          queued.push({ client: c, id: runs[0].id });
        }
        const ends: string[] = [];
        for (const id of ids) {
          const events = await followRun(client, id);
          ends.push(events.at(-1)!.type);
          lastEnd = Math.max(lastEnd, events.at(-1)!.at);
        }
        return ends;
      }),
    );
    const serverMs = lastEnd - t0;

    // ---- Checks, from the server's database.
    const ids = queued.map((q) => q.id);
    const rows = await server.db.run.findMany({
      where: { id: { in: ids } },
      select: {
        id: true,
        status: true,
        queueSeq: true,
        priority: true,
        clientId: true,
        startedAt: true,
        finishedAt: true,
        _count: { select: { artifacts: { where: { kind: "image" } } } },
      },
    });
    const finished = endings.flat().filter((e) => e === "run.finished").length;
    const succeeded = rows.filter((r) => r.status === "succeeded" && r._count.artifacts === 1).length;
    const lost = total - rows.length + (new Set(ids).size === total ? 0 : total - new Set(ids).size);
    const byStart = [...rows].sort((a, b) => a.startedAt!.getTime() - b.startedAt!.getTime());
    const byQueue = [...rows].sort((a, b) => b.priority - a.priority || a.queueSeq - b.queueSeq);
    const inOrder = byStart.every((r, i) => r.id === byQueue[i].id);
    const perClientOk = Array.from({ length: clients }, (_, c) => {
      const mine = queued.filter((q) => q.client === c).map((q) => q.id);
      const started = byStart.filter((r) => mine.includes(r.id)).map((r) => r.id);
      return (
        started.join() === mine.join() &&
        rows.filter((r) => r.clientId === `client:bench-client-${c}`).length === perClient
      );
    }).every(Boolean);

    // Where the server's time goes: executing runs, or between one run's end and the next one's start.
    const execMs = byStart.map((r) => r.finishedAt!.getTime() - r.startedAt!.getTime());
    const gapMs = byStart.slice(1).map((r, i) => r.startedAt!.getTime() - byStart[i].finishedAt!.getTime());

    // ---- The same documents, one after another, in-process.
    const rt = benchRuntime(modelsDir);
    const progressIntervalMs = envSchema.parse(process.env).PETALFLOW_PROGRESS_INTERVAL_MS; // the server's
    await rt.executor.run(applyOverrides(doc, registry, { seed: 1n }), {
      previews: true,
      progressIntervalMs,
    });
    const l0 = performance.now();
    for (let c = 0; c < clients; c++)
      for (let k = 0; k < perClient; k++) {
        const r = await rt.executor.run(applyOverrides(doc, registry, { seed: BigInt(seedOf(c, k)) }), {
          previews: true,
          progressIntervalMs,
        });
        if (r.status !== "succeeded") throw new Error(`in-process run failed: ${r.error?.message}`);
      }
    const localMs = performance.now() - l0;
    const localExec = localMs / total;

    const perMin = (ms: number) => (total / ms) * 60_000;
    const ratio = perMin(serverMs) / perMin(localMs);
    report(`Throughput (${model}, ${total} runs from ${clients} concurrent clients over HTTP + SSE)`, [
      {
        name: "finished / succeeded with an image",
        value: `${finished} / ${succeeded} of ${total}`,
        goal: `${total}`,
        ok: finished === total && succeeded === total,
      },
      { name: "lost", value: String(lost), goal: "0", ok: lost === 0 },
      {
        name: "start order = queue order (FIFO), per client too",
        value: `${inOrder ? "yes" : "NO"}, ${perClientOk ? "yes" : "NO"}`,
        goal: "yes",
        ok: inOrder && perClientOk,
      },
      {
        name: "runs per minute, server / sequential in-process",
        value: `${perMin(serverMs).toFixed(1)} / ${perMin(localMs).toFixed(1)} = ${ratio.toFixed(3)}`,
        goal: "≈ 1 (one device, one run at a time)",
      },
      {
        name: "per run: server execution (median) / in-process (mean)",
        value: `${median(execMs).toFixed(0)} ms / ${localExec.toFixed(0)} ms; median gap between runs ${median(gapMs).toFixed(0)} ms`,
      },
    ]);
    return { ratio, finished, succeeded, lost, inOrder: inOrder && perClientOk };
  } finally {
    if (!opts.server) await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await throughput();
