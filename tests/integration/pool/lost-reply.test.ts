/**
 * Stream entries whose delivery was lost when Redis restarted. A redis-server that SHUTs DOWN exits
 * before writing the replies of that event-loop turn, so an XREADGROUP served just then has moved its
 * entries to the server's pending list with nobody having seen them; ioredis sends the read again on
 * reconnect and it returns only newer entries. Before the fix such an entry was never read: an event
 * went missing, or, when it was the run's "done", the run stayed `running` for ever (seen in CI).
 *
 * (Checked against redis-server 7.0: a client blocked in XREADGROUP, then XADD and SHUTDOWN in one
 * write: neither reply arrives, and after the restart the entry is pending for that consumer.)
 *
 * The lost reply is made deterministic here: a stand-in worker (a real BullMQ Worker in this process,
 * speaking the stream protocol) appends an entry and, in the same MULTI, reads it as the server's
 * consumer — exactly the state a lost reply leaves. Real redis-server, real BullMQ, real PoolRunner.
 */
import { Worker as BullWorker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../../core/run/events";
import { ModelLibrary } from "../../../server/diffusion/models";
import { EVENTS_READER, PoolRunner } from "../../../server/pool/pool-runner";
import { POOL, type StreamEntry } from "../../../server/pool/protocol";
import type { RunnerStats, WireSummary } from "../../../server/runner/runner";
import { MODELS_DIR } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { HAS_REDIS, type RedisProcess, startRedis, until } from "./harness";

let redis: RedisProcess;
let client: Redis;
let runner: PoolRunner;

beforeAll(async () => {
  if (!HAS_REDIS) return;
  redis = await startRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  client.on("error", () => undefined); // connections end with the test's redis-server
  runner = new PoolRunner({
    redisUrl: redis.url,
    models: new ModelLibrary(MODELS_DIR),
    idleStats: async () => ({}) as RunnerStats,
    watchMs: 100,
    lostDoneMs: 1500,
  });
  runner.start();
});

afterAll(async () => {
  await runner?.close();
  client?.disconnect();
  await redis?.stop();
});

const entry = (job: Job, n: number, kind: StreamEntry["kind"], payload: unknown) =>
  JSON.stringify({
    runId: String(job.id),
    workerId: "stand-in",
    attempt: 1,
    n,
    kind,
    payload,
  } satisfies StreamEntry);

/** Appends an entry and, atomically, delivers it to the server's consumer without anyone reading it. */
async function appendLost(json: string, ack: boolean): Promise<void> {
  const m = client
    .multi()
    .xadd(POOL.events, "*", "e", json)
    .xreadgroup("GROUP", POOL.eventsGroup, "server", "COUNT", 100, "STREAMS", POOL.events, ">");
  const res = await m.exec();
  if (ack) await client.xack(POOL.events, POOL.eventsGroup, res?.[0]?.[1] as string);
}

/** Serves the route of the next run with `process` (one job), as a worker would. */
async function standIn(process: (job: Job) => Promise<WireSummary>): Promise<BullWorker> {
  const route = await until("the run's route", async () => Object.keys(await client.hgetall(POOL.routes))[0]);
  const connection = client.duplicate();
  connection.on("error", () => undefined);
  return new BullWorker(POOL.queue(route), process, {
    connection,
    prefix: POOL.bullPrefix,
    concurrency: 1,
  });
}

/** The run's summary, or "run never ended" after a minute (a bound for a hang, not a speed requirement). */
function ended<T>(done: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const never = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("run never ended")), 60_000);
  });
  return Promise.race([done, never]).finally(() => clearTimeout(timer));
}

const summary = (job: Job): WireSummary => ({
  runId: String(job.id),
  status: "succeeded",
  ms: 1,
  results: {},
  files: [],
  seeds: {},
});

describe.skipIf(!HAS_REDIS)("pool: stream entries whose delivery was lost", () => {
  it("an entry delivered while the reader's connection dropped is still read, in order", async () => {
    const events: RunEvent[] = [];
    const done = runner.run(txt2img({ seed: 1 }), {
      runId: "lost-1",
      // (Not the server's own "no worker has the model" warning: the stand-in is not in the registry.)
      onEvent: (e) => (e.type !== "node.warning" || e.nodeId === "m") && events.push(e),
    });
    const worker = await standIn(async (job) => {
      await client.xadd(
        POOL.events,
        "*",
        "e",
        entry(job, 0, "event", { type: "run.started", runId: job.id }),
      );
      await until("run.started to be read", () => events.length >= 1);
      const warning = {
        type: "node.warning",
        runId: job.id,
        nodeId: "m",
        nodeType: "model-loader",
        message: "x",
      };
      await appendLost(entry(job, 1, "event", warning), false);
      // The connection drops (as when redis-server shuts down); ioredis sends the pending read again.
      const list = String(await client.call("CLIENT", "LIST"));
      const id = /id=(\d+) [^\n]*name=petalflow-events/.exec(list)?.[1];
      expect(id, `no ${EVENTS_READER} connection in ${list}`).toBeTruthy();
      await client.call("CLIENT", "KILL", "ID", id as string);
      await client.xadd(POOL.events, "*", "e", entry(job, 2, "done", summary(job)));
      return summary(job);
    });
    try {
      const s = await ended(done);
      expect(s.status).toBe("succeeded");
      expect(events.map((e) => e.type)).toEqual(["run.started", "node.warning"]);
    } finally {
      await worker.close();
    }
  });

  it("a run whose 'done' entry is lost for good ends from its completed job, not `running` for ever", async () => {
    await client.del(POOL.routes);
    const done = runner.run(txt2img({ seed: 2 }), { runId: "lost-2" });
    const worker = await standIn(async (job) => {
      await appendLost(entry(job, 0, "done", summary(job)), true); // delivered and acknowledged: gone
      return summary(job);
    });
    try {
      const s = await ended(done);
      expect(s.status).toBe("succeeded");
      expect(s.runId).toBe("lost-2");
    } finally {
      await worker.close();
    }
  });
});
