/**
 * The pool's pure pieces: which models a graph loads, the queue (route) of a set of model hashes, the
 * cache-affinity keys (a seed change keeps every key upstream of Noise), the worker choice, and the
 * worker token's configuration rule.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { loadEnv } from "../../../server/env";
import { AffinityMap, graphKeys } from "../../../server/pool/affinity";
import { modelIdsOf } from "../../../server/pool/model-hash";
import { routeOf } from "../../../server/pool/protocol";
import { txt2img } from "../../integration/helpers/documents";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const h = (c: string) => c.repeat(64);

describe("pool routing", () => {
  it("finds the models a graph loads (muted loaders aside)", () => {
    const doc = txt2img({ model: "tiny-sd" });
    expect(modelIdsOf(doc)).toEqual(["tiny-sd"]);
    const muted = {
      ...doc,
      nodes: doc.nodes.map((n) => (n.id === "model" ? { ...n, mode: "mute" as const } : n)),
    };
    expect(modelIdsOf(muted)).toEqual([]);
    expect(modelIdsOf({ nodes: "not a list" })).toEqual([]);
  });

  it("routes by the set of hashes: order-free, name-free, different bytes a different queue", () => {
    const a = routeOf(
      [
        { id: "x", hash: h("a") },
        { id: "y", hash: h("b") },
      ],
      sha,
    );
    expect(
      routeOf(
        [
          { id: "renamed", hash: h("b") },
          { id: "x", hash: h("a") },
        ],
        sha,
      ),
    ).toBe(a);
    expect(
      routeOf(
        [
          { id: "x", hash: h("a") },
          { id: "y", hash: h("c") },
        ],
        sha,
      ),
    ).not.toBe(a);
    expect(routeOf([], sha)).toBe("any");
  });
});

describe("pool cache affinity", () => {
  it("a seed-only change keeps the keys of every node not downstream of Noise", () => {
    const one = graphKeys(txt2img({ seed: 1 }));
    const two = graphKeys(txt2img({ seed: 2 }));
    // Cacheable nodes: model, pos, neg, latent, noise, sched, sample, decode (save is an output).
    expect(one).toHaveLength(8);
    const shared = one.filter((k) => two.includes(k));
    expect(shared).toHaveLength(5); // model, pos, neg, latent, sched
    const prompt = graphKeys(txt2img({ seed: 1, prompt: "a blue square" }));
    expect(one.filter((k) => prompt.includes(k))).toHaveLength(5); // pos, sample, decode differ; model, neg, latent, noise, sched do not
    // Editor-only widgets (the seed's "control after run") change no key.
    expect(graphKeys(txt2img({ seed: 1, control: "increment" }))).toEqual(one);
  });

  it("prefers the candidate holding most keys, none when nobody holds any", () => {
    const m = new AffinityMap(2);
    m.record("w1", ["a", "b"]);
    m.record("w2", ["a", "b", "c"]);
    expect(m.best(["a", "b", "c", "d"], ["w1", "w2"])).toBe("w2");
    expect(m.best(["a", "b", "c"], ["w1"])).toBe("w1");
    expect(m.best(["z"], ["w1", "w2"])).toBeNull();
    // Bounded memory: only the last runs per worker count.
    m.record("w1", ["x"]);
    m.record("w1", ["y"]);
    expect(m.best(["a"], ["w1"])).toBeNull();
  });
});

describe("pool configuration", () => {
  it("refuses a worker token equal to the user token, and a non-redis URL", () => {
    const token = "the-same-token-0123456789";
    expect(() =>
      loadEnv({ PETALFLOW_TOKEN: token, PETALFLOW_WORKER_TOKEN: token } as unknown as NodeJS.ProcessEnv),
    ).toThrow(/PETALFLOW_WORKER_TOKEN: PETALFLOW_WORKER_TOKEN must differ from PETALFLOW_TOKEN/);
    expect(() => loadEnv({ PETALFLOW_REDIS_URL: "http://x" } as unknown as NodeJS.ProcessEnv)).toThrow(
      /redis:\/\//,
    );
    expect(
      loadEnv({ PETALFLOW_REDIS_URL: "redis://:pw@h:6379" } as unknown as NodeJS.ProcessEnv)
        .PETALFLOW_REDIS_URL,
    ).toBe("redis://:pw@h:6379");
  });

  it("declares the worker's settings once (scripts/worker.ts picks them): defaults and bounds", () => {
    const e = loadEnv({} as NodeJS.ProcessEnv);
    expect([e.PETALFLOW_WORKER_HEARTBEAT_MS, e.PETALFLOW_POOL_LOCK_MS, e.PETALFLOW_SERVER_URL]).toEqual([
      2000,
      30_000,
      undefined,
    ]);
    expect(() => loadEnv({ PETALFLOW_POOL_LOCK_MS: "100" } as unknown as NodeJS.ProcessEnv)).toThrow(
      /PETALFLOW_POOL_LOCK_MS/,
    );
    expect(() => loadEnv({ PETALFLOW_WORKER_ID: "a b" } as unknown as NodeJS.ProcessEnv)).toThrow(
      /PETALFLOW_WORKER_ID: letters, digits/,
    );
    expect(() => loadEnv({ PETALFLOW_SERVER_URL: "server" } as unknown as NodeJS.ProcessEnv)).toThrow(
      /PETALFLOW_SERVER_URL must be the server's URL/,
    );
  });
});
