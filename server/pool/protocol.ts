/**
 * What the server and the pool's workers exchange through Redis (BullMQ jobs, one event stream, the
 * worker registry, cancel notices). Both sides parse with these schemas: a worker of another version
 * that sends something else is refused with a message, not half-understood.
 */
import { z } from "zod";

/** Keys and names, all under one prefix so that a Redis shared with other software stays tidy. */
export const POOL = {
  /** BullMQ queue of the runs needing exactly one set of models (or none): `pf-runs-<route>`. */
  queue: (route: string) => `pf-runs-${route}`,
  /** route → JSON list of model hashes, so that a worker knows which queues it can serve. */
  routes: "pf:routes",
  /** Pub/sub channel: a new route appeared. */
  routesChannel: "pf:routes:new",
  /** The one stream of run events from all workers to the server (a consumer group reads it). */
  events: "pf:events",
  eventsGroup: "server",
  /**
   * Pub/sub channel of live-only events (a batch of nothing but node.progress): not stored, so neither
   * the stream's durability (an append-only-file write, fsync'd under `appendfsync always`) nor its
   * acknowledgement round trip is worth paying for each.
   */
  progressChannel: "pf:progress",
  /** A worker's registry entry (JSON, expires when it stops heartbeating), and the set of ids. */
  worker: (id: string) => `pf:worker:${id}`,
  workers: "pf:workers",
  /** Set when a run is cancelled (checked when a job starts), and the channel that tells running workers. */
  cancel: (runId: string) => `pf:cancel:${runId}`,
  cancelChannel: "pf:cancel",
  /** Per worker, the graph keys of the runs whose outputs its cache holds (affinity, most recent first). */
  affinity: (id: string) => `pf:affinity:${id}`,
  bullPrefix: "pf",
} as const;

/** A model as routing knows it: folder name plus content hash (sha256 over its files). */
export const modelRefSchema = z.object({
  id: z.string().min(1).max(200),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type ModelRef = z.infer<typeof modelRefSchema>;

export const jobDataSchema = z.object({
  runId: z.string().min(1).max(100),
  document: z.unknown(),
  previews: z.boolean(),
  progressIntervalMs: z.number().int().min(0),
  /** Models the graph loads: only a worker holding every one of them (same hash) takes the job. */
  models: z.array(modelRefSchema),
  /** The worker whose output cache holds most of this graph; others leave the job to it a while. */
  prefer: z.string().max(200).nullable(),
  /** Until when (epoch ms, server clock) others leave the job to `prefer`. */
  preferUntil: z.number(),
});
export type JobData = z.infer<typeof jobDataSchema>;

/**
 * One entry of the event stream: a run event (`event`), several in order (`events`: those that came
 * while the worker's previous write was in flight), or a run's end (`done`: its summary without tensors).
 * A message on `progressChannel` has the same form, with only node.progress events and the `n` the next
 * stream entry will have (it takes no number of its own).
 */
export const streamEntrySchema = z.object({
  runId: z.string(),
  workerId: z.string(),
  /** BullMQ's attemptsStarted + stalled count: events of an older attempt are dropped. */
  attempt: z.number().int(),
  /** 0, 1, 2… within one attempt: a command resent after a lost reply (Redis restarting) is dropped. */
  n: z.number().int().min(0),
  kind: z.enum(["event", "events", "done"]),
  payload: z.unknown(),
});
export type StreamEntry = z.infer<typeof streamEntrySchema>;

export const workerRecordSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  provider: z.string(),
  /** Resident memory of the worker process and the host's total, bytes. */
  memory: z.object({ rss: z.number(), total: z.number() }),
  models: z.array(modelRefSchema),
  currentRun: z.string().nullable(),
  runsDone: z.number().int(),
  /** ONNX model parts loaded since start (a warm cache loads none for a rerun). */
  modelLoads: z.number().int().default(0),
  startedAt: z.number(),
  lastHeartbeat: z.number(),
});
export type WorkerRecord = z.infer<typeof workerRecordSchema>;

/** The route of a set of models: the queue its runs wait in. */
export function routeOf(models: readonly ModelRef[], hash: (s: string) => string): string {
  if (!models.length) return "any";
  return hash(
    models
      .map((m) => m.hash)
      .sort()
      .join(","),
  ).slice(0, 24);
}
