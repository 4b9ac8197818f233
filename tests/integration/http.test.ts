/**
 * The HTTP layer in-process (no server started): the tRPC fetch handler with its error shapes, the
 * access token, server-sent events with resume, artifact and upload routes, size limits.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN_COOKIE } from "../../server/auth";
import { receiveUpload, serveArtifact, serveUpload } from "../../server/http/files";
import { sessionState, signIn } from "../../server/http/session";
import { trpcHandler } from "../../server/http/trpc-handler";
import { encodePng } from "../../server/media/png";
import { makeTestApp, type TestApp, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";

const TOKEN = "a-long-enough-access-token";
const auth = { authorization: `Bearer ${TOKEN}` };
let t: TestApp;
let handle: (req: Request) => Promise<Response>;

beforeAll(async () => {
  t = await makeTestApp({
    env: { PETALFLOW_TOKEN: TOKEN, PETALFLOW_MAX_UPLOAD_MB: 1, PETALFLOW_MAX_REQUEST_MB: 2 },
  });
  handle = trpcHandler(async () => t.app);
});

afterAll(async () => {
  await t?.close();
});

const url = (path: string, input?: unknown) =>
  `http://localhost/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`;

const post = (path: string, input: unknown, headers: Record<string, string> = auth) =>
  handle(
    new Request(url(path), {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(input),
    }),
  );

const png = (w: number, h: number) =>
  Buffer.from(encodePng({ width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3).fill(90) }));

interface ErrorBody {
  error: {
    message: string;
    data: { code: string; fieldErrors: Record<string, string[]> | null; graphErrors: unknown };
  };
}

describe("tRPC over HTTP", () => {
  it("answers bad inputs with field-level messages", async () => {
    const res = await post("graphs.create", {
      name: "",
      tags: Array.from({ length: 20 }, (_, i) => `t${i}`),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.data.code).toBe("BAD_REQUEST");
    expect(body.error.data.fieldErrors).toEqual({ name: ["a name is required"], tags: ["at most 16 tags"] });
    expect(body.error.message).toContain("name: a name is required");

    const batch = await post("runs.enqueue", { document: txt2img(), batch: { count: 17 } });
    expect(((await batch.json()) as ErrorBody).error.data.fieldErrors).toEqual({
      "batch.count": ["at most 16 runs in a batch"],
    });
    const page = await handle(new Request(url("graphs.list", { limit: 1000 }), { headers: auth }));
    expect(Object.keys(((await page.json()) as ErrorBody).error.data.fieldErrors!)).toEqual(["limit"]);
  });

  it("answers an invalid graph with its errors keyed by node", async () => {
    const doc = txt2img();
    doc.nodes = doc.nodes.filter((n) => n.id !== "sched");
    const res = await post("runs.enqueue", { document: doc });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    const errors = body.error.data.graphErrors as { byNode: Record<string, { code: string }[]> };
    expect(errors.byNode.sample.map((e) => e.code)).toContain("dangling_edge");
  });

  it("needs the token (header or cookie) for everything but share links", async () => {
    expect((await handle(new Request(url("graphs.list")))).status).toBe(401);
    const wrong = await handle(
      new Request(url("graphs.list"), { headers: { authorization: "Bearer nope" } }),
    );
    expect(wrong.status).toBe(401);
    expect((await handle(new Request(url("graphs.list"), { headers: auth }))).status).toBe(200);
    const cookie = { cookie: `theme=dark; ${TOKEN_COOKIE}=${encodeURIComponent(TOKEN)}` };
    expect((await handle(new Request(url("graphs.list"), { headers: cookie }))).status).toBe(200);
    const share = await handle(new Request(url("shares.get", { token: "x".repeat(32) })));
    expect(share.status).toBe(404); // reached the procedure: unknown token, not 401
  });

  it("signs a browser in with an HttpOnly, SameSite=Strict cookie", async () => {
    const login = (token: string) =>
      signIn(
        t.app,
        new Request("http://localhost/api/session", { method: "POST", body: JSON.stringify({ token }) }),
      );
    expect((await login("wrong-token-wrong-token")).status).toBe(401);
    const ok = await login(TOKEN);
    expect(ok.status).toBe(204);
    const setCookie = ok.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    const cookie = setCookie.split(";")[0];
    const state = await sessionState(
      t.app,
      new Request("http://localhost/api/session", { headers: { cookie } }),
    ).json();
    expect(state).toEqual({ tokenRequired: true, authenticated: true });
    expect((await handle(new Request(url("graphs.list"), { headers: { cookie } }))).status).toBe(200);
  });

  it("refuses oversized request bodies with 413", async () => {
    const res = await post("graphs.import", { source: { kind: "png", base64: "A".repeat(3 * 1024 * 1024) } });
    expect(res.status).toBe(413);
  });

  it("streams run events as SSE with ids, and resumes after Last-Event-ID", async () => {
    const { runs } = (await t.caller.runs.enqueue({ document: txt2img({ steps: 3 }) })) as {
      runs: { id: string }[];
    };
    await waitForRun(t.app, runs[0].id);
    const read = async (headers: Record<string, string>) => {
      const res = await handle(
        new Request(url("runs.events", { runId: runs[0].id }), { headers: { ...auth, ...headers } }),
      );
      expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
      const text = await res.text();
      const ids = [...text.matchAll(/^id: ?(\d+)$/gm)].map((m) => m[1]);
      return { text, ids };
    };
    const all = await read({});
    expect(all.ids[0]).toBe("0");
    expect(all.text).toContain('"type":"run.finished"');
    const resumed = await read({ "last-event-id": all.ids[2] });
    expect(resumed.ids).toEqual(all.ids.slice(3));
  });
});

describe("artifact and upload routes", () => {
  let artifactId: string;
  let sha: string;

  beforeAll(async () => {
    const { runs } = await t.caller.runs.enqueue({ document: txt2img() });
    await waitForRun(t.app, runs[0].id);
    const image = (await t.caller.runs.get({ id: runs[0].id })).images[0];
    artifactId = image.id;
    sha = image.sha256;
  });

  it("serves an artifact as immutable PNG with its sha256 as ETag", async () => {
    const res = await serveArtifact(t.app, new Request("http://x", { headers: auth }), artifactId);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("etag")).toBe(`"${sha}"`);
    const again = await serveArtifact(
      t.app,
      new Request("http://x", { headers: { ...auth, "if-none-match": `"${sha}"` } }),
      artifactId,
    );
    expect(again.status).toBe(304);
  });

  it("404s unknown or malformed ids, and never reads a path from the URL", async () => {
    for (const id of ["cmdoesnotexist00000000000", "../../etc/passwd", "..%2F..%2Fetc", ""]) {
      const res = await serveArtifact(t.app, new Request("http://x", { headers: auth }), id);
      expect(res.status, id).toBe(404);
    }
    const res = await serveUpload(t.app, new Request("http://x", { headers: auth }), "../../package.json");
    expect(res.status).toBe(404);
  });

  it("stores a real image upload once by content, and serves it back", async () => {
    const bytes = png(24, 16);
    const up = (body: BodyInit, headers: Record<string, string> = {}) =>
      receiveUpload(
        t.app,
        new Request("http://x/api/uploads", { method: "POST", headers: { ...auth, ...headers }, body }),
      );
    const res = await up(bytes, { "content-type": "image/png" });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { name: string; width: number; height: number };
    expect(body).toMatchObject({ width: 24, height: 16 });
    expect(body.name).toMatch(/^[0-9a-f]{64}\.png$/);

    const form = new FormData();
    form.append("file", new Blob([bytes], { type: "image/png" }), "mine.png");
    const multi = await receiveUpload(
      t.app,
      new Request("http://x/api/uploads", { method: "POST", headers: auth, body: form }),
    );
    expect(((await multi.json()) as { name: string }).name).toBe(body.name);
    expect(await t.app.db.upload.count()).toBe(1);

    const back = await serveUpload(t.app, new Request("http://x", { headers: auth }), body.name);
    expect(back.status).toBe(200);
    expect(Buffer.from(await back.arrayBuffer())).toEqual(bytes);
    expect(await t.app.artifacts.readUpload(body.name)).toEqual(bytes);

    expect((await up(Buffer.from("GIF89a not an image"))).status).toBe(400);
    const truncated = await up(bytes.subarray(0, bytes.length - 20));
    expect(truncated.status).toBe(400);
    expect((await up(Buffer.alloc(2 * 1024 * 1024, 1))).status).toBe(413);
    const anonymous = await receiveUpload(t.app, new Request("http://x", { method: "POST", body: bytes }));
    expect(anonymous.status).toBe(401);
  });

  it("serves the bundled example images by name, for the templates' Load Image (no upload needed)", async () => {
    const bytes = readFileSync("examples/assets/red-circle-on-blue.png");
    const res = await serveUpload(
      t.app,
      new Request("http://x", { headers: auth }),
      "red-circle-on-blue.png",
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
    expect(Buffer.from(await t.app.artifacts.readUpload("red-circle-on-blue.png"))).toEqual(bytes);
    // Only the names in that folder: no other file, no path.
    for (const name of ["missing.png", "../assets/red-circle-on-blue.png", "README.md"]) {
      const other = await serveUpload(t.app, new Request("http://x", { headers: auth }), name);
      expect(other.status, name).toBe(404);
      await expect(t.app.artifacts.readUpload(name)).rejects.toThrow(/no uploaded image named/);
    }
  });
});

describe("a server without a token", () => {
  it("answers only requests addressed to localhost from its own origin", async () => {
    const open = await makeTestApp({ startWorker: false });
    try {
      const h = trpcHandler(async () => open.app);
      const list = (headers: Record<string, string>) =>
        h(new Request(url("graphs.list"), { headers })).then((r) => r.status);
      expect(await list({ host: "127.0.0.1:3000" })).toBe(200);
      expect(await list({ host: "localhost:3000", origin: "http://localhost:3000" })).toBe(200);
      expect(await list({ host: "evil.example:3000" })).toBe(403); // DNS rebinding
      expect(await list({ host: "192.168.1.9:3000" })).toBe(403); // reached from the network
      expect(await list({ host: "localhost:3000", origin: "https://evil.example" })).toBe(403); // cross-site
      const post = await h(
        new Request(url("graphs.create"), {
          method: "POST",
          headers: { host: "localhost:3000", origin: "https://evil.example", "content-type": "text/plain" },
          body: JSON.stringify({ name: "csrf" }),
        }),
      );
      expect(post.status).toBe(403);
      expect(await open.app.db.graph.count({ where: { name: "csrf" } })).toBe(0);
    } finally {
      await open.close();
    }
  });
});
