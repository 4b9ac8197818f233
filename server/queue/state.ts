/** The queue as the queue view shows it: what runs, what waits (in order), paused or not. */

import type { QueueItem, QueueState } from "../../core/queue/types";
import type { App } from "../app";

export type { QueueItem, QueueState };

export async function queueState(app: App): Promise<QueueState> {
  const select = {
    id: true,
    status: true,
    graphId: true,
    graph: { select: { name: true } },
    graphVersion: { select: { number: true } },
    label: true,
    priority: true,
    batchIndex: true,
    sweepId: true,
    createdAt: true,
    startedAt: true,
  } as const;
  const [running, queued, length] = await Promise.all([
    app.db.run.findMany({ where: { status: "running" }, orderBy: { startedAt: "asc" }, select }),
    app.db.run.findMany({
      where: { status: "queued" },
      orderBy: [{ priority: "desc" }, { queueSeq: "asc" }],
      take: 500,
      select,
    }),
    app.queue.length(),
  ]);
  const item = (r: (typeof running)[number], position: number | null): QueueItem => ({
    id: r.id,
    status: r.status as QueueItem["status"],
    graphId: r.graphId,
    graphName: r.graph?.name ?? null,
    versionNumber: r.graphVersion?.number ?? null,
    label: r.label,
    priority: r.priority,
    batchIndex: r.batchIndex,
    sweepId: r.sweepId,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    position,
  });
  return {
    paused: app.queue.paused,
    concurrency: app.env.PETALFLOW_CONCURRENCY,
    running: running.map((r) => item(r, null)),
    queued: queued.map((r, i) => item(r, i)),
    length,
  };
}
