/**
 * The worker upload's database work (server/pool/http.ts), counted on the real SQLite app: every
 * upload is on its node's way to "finished", so it uses raw statements only (a Prisma model query is
 * compiled again at every call). The refusal of an upload for a missing run is unchanged: 404 naming
 * the run, and no file written.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { contentPath, sha256Hex } from "../../../server/artifacts/files";
import type { PrismaClient } from "../../../server/db/client";
import { ARTIFACT_HEADER, handleWorkerRequest, workerHttpDeps } from "../../../server/pool/http";
import { makeTestApp, type TestApp } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { WORKER_TOKEN } from "./harness";

let t: TestApp;
const calls: string[] = [];

beforeAll(async () => {
  // No worker: the enqueued run stays queued, a row for the uploads to belong to.
  t = await makeTestApp({ startWorker: false, env: { PETALFLOW_WORKER_TOKEN: WORKER_TOKEN } });
});

afterAll(async () => {
  await t?.close();
});

/** The app's client, each call recorded: model queries as `model.method`, raw ones by their method. */
function counting(client: PrismaClient): PrismaClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string") return value;
      if (typeof value === "function")
        return (...args: unknown[]) => {
          calls.push(prop);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      if (prop.startsWith("$") || typeof value !== "object" || !value) return value;
      return new Proxy(value, {
        get(model, method, r) {
          const fn = Reflect.get(model, method, r);
          if (typeof fn !== "function") return fn;
          return (...args: unknown[]) => {
            calls.push(`${prop}.${String(method)}`);
            return fn.apply(model, args);
          };
        },
      });
    },
  }) as PrismaClient;
}

function upload(runId: string, bytes: Uint8Array<ArrayBuffer>): Promise<Response> {
  const deps = { ...workerHttpDeps(t.app), db: counting(t.app.db) };
  const meta = { runId, nodeId: "save", kind: "image", sha256: sha256Hex(bytes), width: 2, height: 2 };
  return handleWorkerRequest(
    deps,
    new Request("http://127.0.0.1/api/worker/artifacts", {
      method: "POST",
      headers: { authorization: `Bearer ${WORKER_TOKEN}`, [ARTIFACT_HEADER]: JSON.stringify(meta) },
      body: bytes,
    }),
  );
}

it("stores an upload with raw statements only: the run's check and the row's insert", async () => {
  const runId = (await t.caller.runs.enqueue({ document: txt2img({ seed: 1 }) })).runs[0].id;
  calls.length = 0;
  const bytes = new Uint8Array(300).map((_, i) => (i * 13) % 256);
  const res = await upload(runId, bytes);
  expect(res.status).toBe(200);
  // Before: run.findUnique (a model query) before the insert.
  expect(calls).toEqual(["$queryRawUnsafe", "$executeRawUnsafe"]);
  const rows = await t.app.db.artifact.findMany({ where: { runId } });
  expect(rows.map((r) => [r.nodeId, r.sha256, r.bytes])).toEqual([["save", sha256Hex(bytes), 300]]);
});

it("refuses an upload for a missing run before writing its file", async () => {
  const bytes = new Uint8Array(300).map((_, i) => (i * 17 + 5) % 256);
  const res = await upload("no-such-run", bytes);
  expect(res.status).toBe(404);
  expect(((await res.json()) as { error: string }).error).toMatch(/no run no-such-run/);
  expect(fs.existsSync(path.join(t.app.dataDir, contentPath("artifacts", sha256Hex(bytes), "png")))).toBe(
    false,
  );
});
