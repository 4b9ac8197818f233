/**
 * Security: model names that try to leave the models directory (`../`, absolute, encoded, a symlink
 * that points outside) are refused by the models library and fail the run on its Model Loader with a
 * clear message; the artifact and upload routes refuse traversal and unknown ids and never read a path
 * from the URL (nor an unexpected one from the database); a share token reads only its own version and
 * its images and cannot write anything (every procedure but shares.get is tried); `scripts/start.ts`
 * refuses a non-loopback HOST without PETALFLOW_TOKEN (exit code 2, before building or migrating);
 * with a token set, API calls without it get 401 and with it are served.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN_COOKIE } from "../../../server/auth";
import { createContextInner } from "../../../server/context";
import { receiveUpload, serveArtifact, serveUpload } from "../../../server/http/files";
import { trpcHandler } from "../../../server/http/trpc-handler";
import { encodePng } from "../../../server/media/png";
import { appRouter, createCaller } from "../../../server/routers/_app";
import { errorOf, MODELS_DIR, makeTestApp, type TestApp, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";

const TOKEN = "security-test-access-token";
const auth = { authorization: `Bearer ${TOKEN}` };

let t: TestApp;
let anonymous: ReturnType<typeof createCaller>;
let handle: (req: Request) => Promise<Response>;
let tmp: string;
let modelsDir: string;
let outsideModel: string;

/** The library: graph A (versions 1 and 2) and graph B, one finished run (with its image) per version. */
const ids = {
  graphA: "",
  a1: "",
  a2: "",
  graphB: "",
  b1: "",
  imageA1: "",
  imageA2: "",
  imageB1: "",
  latentA1: "",
  runA1: "",
  shareA1: { id: "", token: "" },
  shareB1: { id: "", token: "" },
};

beforeAll(async () => {
  // A models directory of our own: a real model, a symlink inside it, and one that escapes it.
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-sec-"));
  modelsDir = path.join(tmp, "models");
  outsideModel = path.join(tmp, "outside", "tiny-copy");
  fs.cpSync(path.join(MODELS_DIR, "tiny-sd"), path.join(modelsDir, "tiny-sd"), { recursive: true });
  fs.cpSync(path.join(MODELS_DIR, "tiny-sd"), outsideModel, { recursive: true });
  fs.symlinkSync(outsideModel, path.join(modelsDir, "escape"), "dir");
  fs.symlinkSync(path.join(modelsDir, "tiny-sd"), path.join(modelsDir, "inside-link"), "dir");

  t = await makeTestApp({ env: { PETALFLOW_TOKEN: TOKEN, PETALFLOW_MODELS_DIR: modelsDir } });
  anonymous = createCaller(createContextInner({ app: t.app, authenticated: false }));
  handle = trpcHandler(async () => t.app);

  const a = await t.caller.graphs.create({ name: "Graph A", document: txt2img({ seed: 1 }) });
  ids.graphA = a.graph.id;
  ids.a1 = a.graph.headVersion!.id;
  ids.a2 = (await t.caller.graphs.save({ id: ids.graphA, document: txt2img({ seed: 2 }) })).version.id;
  const b = await t.caller.graphs.create({ name: "Graph B", document: txt2img({ seed: 3 }) });
  ids.graphB = b.graph.id;
  ids.b1 = b.graph.headVersion!.id;
  const image = async (versionId: string) => {
    const { runs } = await t.caller.runs.enqueue({ versionId });
    expect(await waitForRun(t.app, runs[0].id)).toBe("succeeded");
    const run = await t.caller.runs.get({ id: runs[0].id });
    return { runId: run.id, imageId: run.images[0].id };
  };
  const a1 = await image(ids.a1);
  ids.runA1 = a1.runId;
  ids.imageA1 = a1.imageId;
  ids.imageA2 = (await image(ids.a2)).imageId;
  ids.imageB1 = (await image(ids.b1)).imageId;
  // A latent artifact of A1's run (as Save Latent would make): shares expose images only.
  ids.latentA1 = (
    await t.app.db.artifact.create({
      data: {
        runId: ids.runA1,
        nodeId: "save",
        kind: "latent",
        path: `artifacts/00/${"0".repeat(64)}.latent`,
        sha256: "0".repeat(64),
        bytes: 1,
        mimeType: "application/octet-stream",
      },
      select: { id: true },
    })
  ).id;
  ids.shareA1 = await t.caller.shares.create({ versionId: ids.a1 });
  ids.shareB1 = await t.caller.shares.create({ versionId: ids.b1 });
});

afterAll(async () => {
  await t?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const codeOf = async (fn: () => Promise<unknown>) => ((await errorOf(fn)) as unknown as TRPCError).code;

describe("model names that leave the models directory", () => {
  const hostile = () => [
    "../tiny-sd",
    "../../../etc",
    "..",
    ".",
    "./tiny-sd",
    "tiny-sd/../tiny-sd",
    "tiny-sd/",
    "..\\tiny-sd",
    "/etc",
    outsideModel, // absolute
    `${modelsDir}/tiny-sd`, // absolute, even inside
    "..%2Ftiny-sd", // encoded: never decoded, so just a name that does not exist
    "%2e%2e%2f%2e%2e%2fetc",
    ".hidden",
    "tiny-sd\u0000",
    "C:tiny-sd",
    "escape", // a symlink to a folder outside
  ];

  it("are refused by the models library, with the name and the reason", async () => {
    const models = t.app.runtime.services.models;
    for (const name of hostile()) {
      const e = await errorOf(() => models.get(name));
      expect(e.message, name).toContain(JSON.stringify(name).slice(1, -1));
      expect(e.message, name).toMatch(
        /Invalid model name|No model .* in the models directory|cannot be used|outside the models directory/,
      );
    }
    expect((await models.get("escape").catch((e: Error) => e)) as Error).toHaveProperty(
      "message",
      expect.stringMatching(/outside the models directory/),
    );
    // A symlink that stays inside is an ordinary model.
    expect((await models.get("inside-link")).id).toBe("inside-link");
  });

  it("are listed as unusable by models.list (the escaping symlink) and never as models", async () => {
    const list = await t.caller.models.list({ refresh: true });
    expect(list.models.map((m) => m.id).sort()).toEqual(["inside-link", "tiny-sd"]);
    const escaping = list.problems.find((p) => p.id === "escape");
    expect(escaping?.reason).toMatch(/outside the models directory/);
  });

  it("fail the run on its Model Loader with a message naming the model", async () => {
    const names = ["../tiny-sd", outsideModel, "..%2Ftiny-sd", "tiny-sd/", "escape", "x".repeat(300)];
    for (const name of names) {
      let refusedAtEnqueue: TRPCError | null = null;
      let runId = "";
      try {
        runId = (await t.caller.runs.enqueue({ document: txt2img({ model: name }) })).runs[0].id;
      } catch (e) {
        refusedAtEnqueue = e as TRPCError;
      }
      if (refusedAtEnqueue) {
        // Refused before queueing: the node-keyed errors point at the Model Loader's model field.
        expect(refusedAtEnqueue.code, name).toBe("BAD_REQUEST");
        expect(refusedAtEnqueue.message, name).toMatch(/model/);
        continue;
      }
      expect(await waitForRun(t.app, runId), name).toBe("failed");
      const run = await t.caller.runs.get({ id: runId });
      expect(run.error?.nodeId, name).toBe("model");
      expect(run.error?.message, name).toContain(JSON.stringify(name).slice(1, -1).slice(0, 40));
      expect(run.images, name).toEqual([]);
    }
  });
});

describe("artifact and upload routes", () => {
  const get = (id: string, headers: Record<string, string> = auth, query = "") =>
    serveArtifact(
      t.app,
      new Request(`http://127.0.0.1/api/artifacts/${encodeURIComponent(id)}${query}`, { headers }),
      id,
    );

  it("refuse traversal, absolute paths and unknown ids with 404 and a message", async () => {
    for (const id of [
      "../../etc/passwd",
      "..%2F..%2Fetc%2Fpasswd",
      "%2e%2e%2f",
      "/etc/passwd",
      "..",
      "",
      "a".repeat(1000),
      `${ids.imageA1}/../x`,
      `${ids.imageA1}\u0000`,
      "cmdoesnotexist0000000000000",
      ids.imageA1.toUpperCase(),
    ]) {
      const res = await get(id);
      expect(res.status, id).toBe(404);
      expect(((await res.json()) as { error: string }).error, id).toMatch(/no such artifact/);
    }
    for (const name of [
      "../../package.json",
      "/etc/passwd",
      `${"0".repeat(64)}.png`,
      `${"A".repeat(64)}.png`,
      `${"0".repeat(64)}.png/../../x`,
      `${"0".repeat(64)}.svg`,
      "..%2f..%2fpackage.json",
    ]) {
      const res = await serveUpload(
        t.app,
        new Request("http://127.0.0.1/api/uploads/x", { headers: auth }),
        name,
      );
      expect(res.status, name).toBe(404);
      expect(((await res.json()) as { error: string }).error, name).toMatch(/no such upload/);
    }
    // The real one is served.
    expect((await get(ids.imageA1)).status).toBe(200);
  });

  it("never read a file outside the data directory, even from a tampered database row", async () => {
    const secret = path.join(tmp, "secret.txt");
    fs.writeFileSync(secret, "secret");
    const rel = path.relative(t.app.dataDir, secret);
    for (const p of [rel, secret, `artifacts/../../${path.basename(secret)}`]) {
      const row = await t.app.db.artifact.create({
        data: {
          runId: ids.runA1,
          nodeId: "save",
          kind: "image",
          path: p,
          sha256: "f".repeat(64),
          bytes: 6,
          mimeType: "image/png",
        },
        select: { id: true },
      });
      const res = await get(row.id);
      expect(res.status, p).toBe(404);
      expect(await res.text(), p).not.toContain("secret");
      await t.app.db.artifact.delete({ where: { id: row.id } });
    }
  });

  it("store uploads by content hash whatever the file is called", async () => {
    const bytes = Buffer.from(
      encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(7) }),
    );
    const form = new FormData();
    form.append("file", new Blob([bytes], { type: "image/png" }), "../../../evil.png");
    const res = await receiveUpload(
      t.app,
      new Request("http://127.0.0.1/api/uploads", { method: "POST", headers: auth, body: form }),
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as { name: string };
    expect(body.name).toMatch(/^[0-9a-f]{64}\.png$/);
    expect(fs.existsSync(path.join(tmp, "evil.png"))).toBe(false);
    expect(fs.existsSync(path.join(t.app.dataDir, "..", "evil.png"))).toBe(false);
  });
});

describe("share tokens", () => {
  it("read their own version and its images only", async () => {
    const seen = await anonymous.shares.get({ token: ids.shareA1.token });
    expect(seen.graphName).toBe("Graph A");
    expect(seen.versionNumber).toBe(1);
    expect(seen.document.nodes.find((n) => n.id === "noise")?.params.seed).toBe(1);
    expect(seen.images.map((i) => i.id)).toEqual([ids.imageA1]);
    expect(JSON.stringify(seen)).not.toContain(ids.graphA);
    expect(JSON.stringify(seen)).not.toContain(ids.a2);

    const share = (id: string, token: string) =>
      serveArtifact(t.app, new Request(`http://127.0.0.1/api/artifacts/${id}?share=${token}`), id);
    expect((await share(ids.imageA1, ids.shareA1.token)).status).toBe(200);
    expect((await share(ids.imageA2, ids.shareA1.token)).status).toBe(401); // same graph, other version
    expect((await share(ids.imageB1, ids.shareA1.token)).status).toBe(401); // other graph
    expect((await share(ids.latentA1, ids.shareA1.token)).status).toBe(401); // not an image
    expect((await share(ids.imageA1, ids.shareB1.token)).status).toBe(401); // another share's token
    expect((await share(ids.imageA1, `${ids.shareA1.token}x`)).status).toBe(401);
    const upload = await serveUpload(
      t.app,
      new Request(`http://127.0.0.1/api/uploads/x?share=${ids.shareA1.token}`),
      `${"0".repeat(64)}.png`,
    );
    expect(upload.status).toBe(401);
  });

  /** Inputs that would succeed with the access token, for every procedure that needs one. */
  function validInputs(): Record<string, unknown> {
    return {
      "system.freeModelCache": { outputs: true },
      "graphs.list": {},
      "graphs.get": { id: ids.graphA },
      "graphs.create": { name: "sneaky", document: txt2img() },
      "graphs.save": { id: ids.graphA, document: txt2img({ seed: 66 }) },
      "graphs.saveDraft": { id: ids.graphA, document: txt2img({ seed: 67 }) },
      "graphs.discardDraft": { id: ids.graphA },
      "graphs.versions": { id: ids.graphA },
      "graphs.version": { versionId: ids.a2 },
      "graphs.restoreVersion": { id: ids.graphA, versionId: ids.a1 },
      "graphs.rename": { id: ids.graphA, name: "renamed" },
      "graphs.update": { id: ids.graphA, description: "changed", tags: ["x"] },
      "graphs.duplicate": { id: ids.graphA },
      "graphs.archive": { id: ids.graphA },
      "graphs.unarchive": { id: ids.graphA },
      "graphs.delete": { id: ids.graphA },
      "graphs.import": { source: { kind: "json", text: JSON.stringify(txt2img()) } },
      "graphs.export": { id: ids.graphA },
      "runs.validate": { versionId: ids.a1 },
      "runs.enqueue": { versionId: ids.a1 },
      "runs.rerun": { runId: ids.runA1 },
      "runs.sweep": { versionId: ids.a1, axes: [{ nodeId: "noise", param: "seed", values: [1, 2] }] },
      "runs.cancel": { runId: ids.runA1 },
      "runs.retry": { runId: ids.runA1 },
      "runs.list": {},
      "runs.get": { id: ids.runA1 },
      "runs.events": { runId: ids.runA1 },
      "queue.state": undefined,
      "queue.pause": undefined,
      "queue.resume": undefined,
      "queue.reorder": { runId: ids.runA1, move: "top" },
      "queue.events": undefined,
      "shares.create": { versionId: ids.a2 },
      "shares.revoke": { id: ids.shareA1.id },
      "shares.list": { graphId: ids.graphA },
      "shares.copyToLibrary": { token: ids.shareA1.token },
      "shares.get": { token: ids.shareA1.token },
    };
  }

  async function librarySnapshot() {
    const db = t.app.db;
    return JSON.stringify({
      graphs: await db.graph.findMany({ orderBy: { id: "asc" } }),
      versions: await db.graphVersion.count(),
      runs: await db.run.findMany({ select: { id: true, status: true }, orderBy: { id: "asc" } }),
      shares: await db.share.findMany({ select: { id: true, revokedAt: true }, orderBy: { id: "asc" } }),
      tags: await db.graphTag.count(),
      paused: t.app.queue.paused,
    });
  }

  it("cannot call any other procedure: every one is refused with UNAUTHORIZED and nothing changes", async () => {
    const before = await librarySnapshot();
    const inputs = validInputs();
    const procedures = Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
    );
    expect(procedures.length).toBeGreaterThan(30);
    const mutations = procedures.filter(([, p]) => p._def.type === "mutation").map(([name]) => name);
    for (const [name] of procedures) {
      if (name === "shares.get") continue;
      const [router, method] = name.split(".");
      const call = () => {
        const fn = (anonymous as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>)[
          router
        ][method];
        return fn(inputs[name] ?? {});
      };
      expect(await codeOf(call), name).toBe("UNAUTHORIZED");
    }
    expect(mutations.length).toBeGreaterThan(20);
    expect(await librarySnapshot()).toBe(before);
  });

  it("is not an access token over HTTP: as a bearer, a cookie or ?share=, every procedure is refused (401)", async () => {
    const before = await librarySnapshot();
    const inputs = validInputs();
    const credentials: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${ids.shareA1.token}` },
      { cookie: `${TOKEN_COOKIE}=${ids.shareA1.token}` },
      { authorization: "Bearer " },
      { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
    ];
    for (const [name, proc] of Object.entries(
      appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
    )) {
      if (name === "shares.get") continue;
      for (const headers of credentials) {
        const res = await handle(
          request(name, proc._def.type, inputs[name], headers, `?share=${ids.shareA1.token}`),
        );
        const what = `${name} with ${JSON.stringify(headers)}`;
        if (proc._def.type === "subscription") {
          expectRefusedStream(await res.text(), what);
          continue;
        }
        expect(res.status, what).toBe(401);
        const body = (await res.json()) as { error: { message: string; data: { code: string } } };
        expect(body.error.data.code).toBe("UNAUTHORIZED");
        expect(body.error.message).toMatch(/access token/);
      }
    }
    // shares.get is the one open path.
    const open = await handle(request("shares.get", "query", { token: ids.shareA1.token }, {}));
    expect(open.status).toBe(200);
    expect(await librarySnapshot()).toBe(before);
  });
});

/**
 * Subscriptions answer over server-sent events: a refused one is a stream whose only event after
 * `connected` is the UNAUTHORIZED error (what httpSubscriptionLink hands the client as a TRPCClientError
 * with that code), then the end. No data event.
 */
function expectRefusedStream(text: string, what: string): void {
  const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
  expect(events, what).toEqual(["connected", "serialized-error"]);
  expect(text, what).toMatch(/"code":"UNAUTHORIZED"/);
  expect(text, what).toMatch(/this server needs its access token/);
  expect(text, what).not.toMatch(/^data: \[/m); // tracked data events are [id, data]
  expect(text, what).not.toMatch(/^id: /m);
}

/** A tRPC request as the client sends it: queries and subscriptions by GET, mutations by POST. */
function request(
  name: string,
  type: string,
  input: unknown,
  headers: Record<string, string>,
  extraQuery = "",
  signal?: AbortSignal,
): Request {
  const json = input === undefined ? undefined : JSON.stringify(input);
  const base = `http://127.0.0.1:3000/api/trpc/${name}`;
  if (type === "mutation")
    return new Request(`${base}${extraQuery}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: json,
      signal,
    });
  const q = json === undefined ? "" : `input=${encodeURIComponent(json)}`;
  const extra = extraQuery.replace(/^\?/, "");
  return new Request(`${base}?${[q, extra].filter(Boolean).join("&")}`, { headers, signal });
}

describe("the access token", () => {
  it("is required on every API call and accepted as a bearer or a cookie", async () => {
    const list = (headers: Record<string, string>) => handle(request("graphs.list", "query", {}, headers));
    expect((await list({})).status).toBe(401);
    expect((await list({ authorization: "Bearer wrong-token-wrong-token" })).status).toBe(401);
    expect((await list(auth)).status).toBe(200);
    expect((await list({ cookie: `${TOKEN_COOKIE}=${encodeURIComponent(TOKEN)}` })).status).toBe(200);
    // With the token a mutation goes through (and a request from another Host is fine: the token,
    // not the address, is the protection here).
    const created = await handle(
      request("graphs.create", "mutation", { name: "with token" }, { ...auth, host: "192.168.1.9:3000" }),
    );
    expect(created.status).toBe(200);
    const without = await handle(request("graphs.create", "mutation", { name: "without token" }, {}));
    expect(without.status).toBe(401);
    expect(await t.app.db.graph.count({ where: { name: "without token" } })).toBe(0);
    // Artifacts and uploads too.
    expect((await serveArtifact(t.app, new Request("http://127.0.0.1/x"), ids.imageA1)).status).toBe(401);
    expect(
      (await serveArtifact(t.app, new Request("http://127.0.0.1/x", { headers: auth }), ids.imageA1)).status,
    ).toBe(200);
    const up = await receiveUpload(
      t.app,
      new Request("http://127.0.0.1/api/uploads", { method: "POST", body: "x" }),
    );
    expect(up.status).toBe(401);
  });

  it("refuses subscriptions without it (UNAUTHORIZED in the event stream), and streams with it", async () => {
    const res = await handle(request("runs.events", "subscription", { runId: ids.runA1 }, {}));
    expectRefusedStream(await res.text(), "runs.events without a token");
    const ok = await handle(request("runs.events", "subscription", { runId: ids.runA1 }, auth));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/text\/event-stream/);
    expect(await ok.text()).toContain("run.finished");
  });
});

describe("scripts/start.ts", () => {
  /**
   * Runs start.ts with `env` and returns its exit code and output. Killed after 90 s: only one that
   * went on to build or serve gets there (a refusal takes seconds, more on a loaded machine).
   */
  function start(env: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(tmp, "start-"));
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: "39871",
      DATABASE_URL: `file:${path.join(dir, "db", "petalflow.db")}`,
      PETALFLOW_DATA_DIR: path.join(dir, "data"),
      PETALFLOW_MODELS_DIR: modelsDir,
      ...env,
    };
    if (!("PETALFLOW_TOKEN" in env)) delete childEnv.PETALFLOW_TOKEN;
    return new Promise<{ code: number | null; out: string; ms: number; dir: string }>((resolve) => {
      const started = Date.now();
      const p = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
        env: childEnv,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let out = "";
      p.stdout?.on("data", (d) => (out += d));
      p.stderr?.on("data", (d) => (out += d));
      const timer = setTimeout(() => {
        if (p.pid) process.kill(-p.pid, "SIGKILL"); // it went on to build or serve: stop it all
      }, 90_000);
      p.on("exit", (code) => {
        clearTimeout(timer);
        resolve({ code, out, ms: Date.now() - started, dir });
      });
    });
  }

  it("exits with code 2 and a clear message for a non-loopback HOST without a token, before building", async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ HOST: "0.0.0.0" }, /HOST=0\.0\.0\.0 .*PETALFLOW_TOKEN/],
      [{ HOST: "::" }, /HOST=:: .*PETALFLOW_TOKEN/],
      [{ HOST: "0.0.0.0", PETALFLOW_TOKEN: "short" }, /PETALFLOW_TOKEN must be at least 16 characters/],
    ];
    for (const [env, message] of cases) {
      const r = await start(env);
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(message);
      expect(r.out).not.toMatch(/building|applied migrations|serving/);
      // Nothing was created: no database, no data directory.
      expect(fs.existsSync(path.join(r.dir, "db")), r.out).toBe(false);
      expect(fs.existsSync(path.join(r.dir, "data")), r.out).toBe(false);
    }
  }, 300_000); // three cold starts of a tsx process, each bounded above
});
