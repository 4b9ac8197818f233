/**
 * The server reads the worker registry on every run's way to its job (pool-runner.ts `workers()`).
 * Once it knows which workers are alive, it sends SMEMBERS and the MGET of their entries together, in
 * one round trip. Checked through a TCP proxy in front of a real redis-server that holds Redis's answers
 * until the MGET has arrived: a client that waits for the SMEMBERS answer before sending its MGET never
 * gets one (before: the read did not finish within the bounded wait).
 */
import net from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelLibrary } from "../../../server/diffusion/models";
import { PoolRunner } from "../../../server/pool/pool-runner";
import { POOL, type WorkerRecord } from "../../../server/pool/protocol";
import { freePort, HAS_REDIS, type RedisProcess, startRedis, until } from "./harness";

let redis: RedisProcess;
let admin: Redis;
let proxy: net.Server;
let proxyUrl: string;
/** While true, Redis's answers wait until the client has sent an MGET since the hold began. */
let hold = false;
const holders: (() => void)[] = [];

beforeAll(async () => {
  if (!HAS_REDIS) return;
  redis = await startRedis();
  admin = new Redis(redis.url);
  const port = await freePort();
  proxy = net.createServer((client) => {
    const upstream = net.connect(redis.port, "127.0.0.1");
    let mgetSeen = false;
    let held: Buffer[] = [];
    const release = () => {
      for (const b of held) client.write(b);
      held = [];
    };
    holders.push(() => {
      mgetSeen = false;
    });
    client.on("data", (d: Buffer) => {
      if (/\bmget\b/i.test(d.toString("latin1"))) {
        mgetSeen = true;
        release();
      }
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      if (hold && !mgetSeen) held.push(d);
      else client.write(d);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((r) => proxy.listen(port, "127.0.0.1", () => r()));
  proxyUrl = `redis://127.0.0.1:${port}`;
});

afterAll(async () => {
  admin?.disconnect();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await redis?.stop();
});

function record(id: string): WorkerRecord {
  return {
    id,
    host: "h",
    pid: 1,
    provider: "cpu",
    memory: { rss: 1, total: 2 },
    models: [],
    currentRun: null,
    runsDone: 0,
    modelLoads: 0,
    startedAt: Date.now(),
    lastHeartbeat: Date.now(),
  };
}

describe.skipIf(!HAS_REDIS)("worker registry read", () => {
  it("sends SMEMBERS and the MGET of the workers alive last time in one round trip", async () => {
    for (const id of ["r1", "r2"]) {
      await admin.set(POOL.worker(id), JSON.stringify(record(id)), "PX", 60_000);
      await admin.sadd(POOL.workers, id);
    }
    const runner = new PoolRunner({
      redisUrl: proxyUrl,
      models: {} as ModelLibrary,
      idleStats: async () => ({}) as never,
    });
    try {
      // The first read learns who is alive (two round trips: it knows nobody yet).
      const first = await runner.workers();
      expect(first.filter((w) => w.alive).map((w) => w.id)).toEqual(["r1", "r2"]);
      // Now answers wait for an MGET: a read that sends it only after SMEMBERS's answer never ends.
      for (const reset of holders) reset();
      hold = true;
      const second = await Promise.race([
        runner.workers(),
        new Promise<null>((r) => setTimeout(() => r(null), 15_000).unref()),
      ]);
      hold = false;
      expect(second?.filter((w) => w.alive).map((w) => w.id)).toEqual(["r1", "r2"]);
      // A worker new since the last read still gets its entry read (a second MGET), and one gone is gone.
      await admin.set(POOL.worker("r3"), JSON.stringify(record("r3")), "PX", 60_000);
      await admin.sadd(POOL.workers, "r3");
      await admin.del(POOL.worker("r1"));
      const third = await runner.workers();
      expect(third.map((w) => [w.id, w.alive])).toEqual([
        ["r1", false],
        ["r2", true],
        ["r3", true],
      ]);
      // Its id is removed from the set (sent without waiting for the answer).
      await until(
        "r1 to leave the set",
        async () => (await admin.sismember(POOL.workers, "r1")) === 0,
        20_000,
      );
    } finally {
      hold = false;
      await runner.close();
    }
  });
});
