/**
 * The server's watchdog looks at every pending run's job once a second. It used to fetch each whole job
 * (HGETALL: its data is the graph) and run BullMQ's state script (≈ 6 commands) per run per round, so a
 * burst of queued runs paid that the whole time they waited. Now a round is one pipeline of one HMGET
 * per run, and the state script only runs where no live worker can take the job (which then decides
 * between "orphaned" and "waiting for a worker"). Real redis-server, real BullMQ, real PoolRunner; the
 * runs wait because the live worker in the registry takes nothing.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelLibrary } from "../../../server/diffusion/models";
import { libraryModels } from "../../../server/pool/model-hash";
import { PoolRunner } from "../../../server/pool/pool-runner";
import { POOL, type WorkerRecord } from "../../../server/pool/protocol";
import type { RunnerStats } from "../../../server/runner/runner";
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
  client.on("error", () => undefined);
  runner = new PoolRunner({
    redisUrl: redis.url,
    models: new ModelLibrary(MODELS_DIR),
    idleStats: async () => ({}) as RunnerStats,
    watchMs: 100,
  });
  runner.start();
});

afterAll(async () => {
  await runner?.close();
  client?.disconnect();
  await redis?.stop();
});

/** Calls of each Redis command so far (INFO commandstats). */
async function calls(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const m of (await client.info("commandstats")).matchAll(/cmdstat_([\w|]+):calls=(\d+)/g))
    out[m[1]] = Number(m[2]);
  return out;
}

describe.skipIf(!HAS_REDIS)("pool watchdog", () => {
  it("looks at every waiting run with one HMGET per round, not the whole job and BullMQ's state script", async () => {
    // A live worker holding the models (so the runs are not "waiting for a worker") that takes nothing.
    const record: WorkerRecord = {
      id: "idle",
      host: "test",
      pid: 1,
      provider: "cpu",
      memory: { rss: 1, total: 2 },
      models: await libraryModels(new ModelLibrary(MODELS_DIR)),
      currentRun: null,
      runsDone: 0,
      modelLoads: 0,
      startedAt: Date.now(),
      lastHeartbeat: Date.now(),
    };
    await client.multi().set(POOL.worker("idle"), JSON.stringify(record)).sadd(POOL.workers, "idle").exec();
    const n = 5;
    for (let i = 0; i < n; i++) void runner.run(txt2img({ seed: i }), { runId: `wait-${i}` });
    const route = await until(
      "the runs' route",
      async () => Object.keys(await client.hgetall(POOL.routes))[0],
    );
    const queue = new Queue(POOL.queue(route), { connection: client.duplicate(), prefix: POOL.bullPrefix });
    try {
      await until(`${n} jobs waiting`, async () => (await queue.getWaitingCount()) === n);
      const before = await calls();
      // Each round reads the registry once (SMEMBERS): wait for 5 rounds.
      await until(
        "5 watchdog rounds",
        async () => ((await calls()).smembers ?? 0) - (before.smembers ?? 0) >= 5,
      );
      const after = await calls();
      const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
      const rounds = delta("smembers");
      expect(delta("hgetall")).toBe(0); // no whole job (before: one per run per round)
      expect(delta("evalsha")).toBe(0); // no state script (before: one per run per round)
      // One HMGET per run per round (a round may be half counted at either end).
      expect(delta("hmget")).toBeGreaterThanOrEqual(n * (rounds - 1));
      expect(delta("hmget")).toBeLessThanOrEqual(n * (rounds + 1));

      // A job Redis lost is still noticed (its hash is gone) and queued again under the run's id.
      await queue.remove("wait-0");
      await until("the lost job queued again", async () => (await queue.getJobState("wait-0")) === "waiting");
    } finally {
      await queue.close();
    }
  });
});
