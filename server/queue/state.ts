/** The queue as the queue view shows it: what runs, what waits (in order), paused or not. */
import type { App } from "../app";

export interface QueueItem {
  id: string;
  status: "queued" | "running";
  graphId: string | null;
  graphName: string | null;
  versionNumber: number | null;
  label: string | null;
  priority: number;
  batchIndex: number | null;
  sweepId: string | null;
  createdAt: string;
  startedAt: string | null;
  /** 0-based place among the queued runs (null while running). */
  position: number | null;
}

export interface QueueState {
  paused: boolean;
  concurrency: number;
  running: QueueItem[];
  /** In the order they will run (the first 500). */
  queued: QueueItem[];
  /** All queued runs. */
  length: number;
}

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
