/**
 * The built server (`next build` + `scripts/start.ts`, as `npm start` runs it), where Next bundles the
 * routes and instrumentation separately: the queue limits answer 429 with a message (they answered
 * 500 when `instanceof` met a second copy of the error class), X-Forwarded-For from a stranger is
 * ignored, an unauthenticated upload-sized POST is refused while the client is still sending, pages
 * cannot be framed, /_next/image is off, /api/health is guarded, and the token dialog leaves the token
 * in an HttpOnly cookie that page scripts cannot read.
 *
 * A second server on its own port and database, with a token and small queue limits; the e2e
 * webServer (token-less) is used only for the Host check of /api/health.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect, type Locator, type Page, test } from "@playwright/test";
import { screenshot } from "./fixtures";

test.describe.configure({ mode: "serial" });

const TOKEN = "e2e-hardening-access-token";
const auth = { authorization: `Bearer ${TOKEN}` };
let server: ChildProcess | null = null;
let base = "";
let dir = "";
let output = "";

function freePort(): number {
  return Number(
    execFileSync(process.execPath, [
      "-e",
      "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
    ]).toString(),
  );
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "petalflow-e2e-hardening-"));
  const port = freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: `file:${path.join(dir, "e2e.db")}`,
      PETALFLOW_DATA_DIR: dir,
      PETALFLOW_MODELS_DIR: process.env.PETALFLOW_E2E_MODELS_DIR ?? "models",
      PETALFLOW_TOKEN: TOKEN,
      PETALFLOW_MAX_QUEUE_PER_CLIENT: "3",
      PETALFLOW_MAX_QUEUE: "6",
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  server.stdout?.on("data", (d) => (output += d));
  server.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + 240_000;
  for (;;) {
    const ok = await fetch(`${base}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline || server.exitCode !== null)
      throw new Error(`the second server did not start:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});

test.afterAll(async () => {
  if (server?.pid && server.exitCode === null) {
    process.kill(-server.pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
    if (server.exitCode === null) process.kill(-server.pid, "SIGKILL");
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const graph = JSON.parse(fs.readFileSync("examples/txt2img.json", "utf8")) as unknown;

async function call(proc: string, input: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/trpc/${proc}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth, ...headers },
    body: input === undefined ? undefined : JSON.stringify(input),
  });
  const body = (await res.json()) as { error?: { message: string; data: { code: string } } };
  return { status: res.status, body };
}

test("queue limits answer 429 with a message, and a spoofed X-Forwarded-For does not make a new client", async () => {
  expect((await call("queue.pause", undefined)).status).toBe(200);
  // No x-petalflow-client: the client is the address, and X-Forwarded-For from a stranger is dropped.
  const answers = [];
  for (let i = 0; i < 4; i++)
    answers.push(await call("runs.enqueue", { document: graph }, { "x-forwarded-for": `10.9.${i}.1` }));
  expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
  expect(answers[3].status, JSON.stringify(answers[3].body)).toBe(429);
  expect(answers[3].body.error?.data.code).toBe("TOO_MANY_REQUESTS");
  expect(answers[3].body.error?.message).toMatch(/holds 3 of your runs; at most 3 may wait/);
  // Self-declared client ids: the global cap (6) still holds.
  const more = [];
  for (let i = 0; i < 5; i++)
    more.push(await call("runs.enqueue", { document: graph }, { "x-petalflow-client": `c${i}` }));
  expect(more.map((a) => a.status)).toEqual([200, 200, 200, 429, 429]);
  expect(more[3].body.error?.message).toMatch(/the queue is full: 6 runs wait/);
  const state = await fetch(`${base}/api/trpc/queue.state`, { headers: auth }).then((r) => r.json());
  expect((state as { result: { data: { length: number } } }).result.data.length).toBe(6);
});

test("an unauthenticated 40 MB POST is answered 401 while the client is still sending", async () => {
  const total = 40 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const url = new URL(`${base}/api/trpc/graphs.create`);
  // status 0: the server closed the connection while we were still sending (the client saw EPIPE or a
  // reset before it could read the answer, which happens when the 401 and the close arrive together).
  const result = await new Promise<{ status: number; sentWhenAnswered: number }>((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
      },
      (res) => {
        answered = true;
        resolve({ status: res.statusCode ?? 0, sentWhenAnswered: sent });
        res.resume();
        req.destroy();
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => {
      if (answered) return;
      answered = true;
      if (e.code === "EPIPE" || e.code === "ECONNRESET") resolve({ status: 0, sentWhenAnswered: sent });
      else reject(e);
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.byteLength;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
  expect([0, 401]).toContain(result.status);
  expect(result.sentWhenAnswered).toBeLessThan(total);
  if (result.status === 0) {
    // The connection was closed unread: the answer to the same request, small, is the 401.
    const small = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(small.status).toBe(401);
  }
  // The server still answers an authenticated call.
  expect((await fetch(`${base}/api/trpc/graphs.list`, { headers: auth })).status).toBe(200);
});

test("pages cannot be framed, /_next/image is off, and a token-less /api/health answers only localhost", async ({
  baseURL,
}) => {
  const page = await fetch(`${base}/library`);
  expect(page.headers.get("x-frame-options")).toBe("DENY");
  expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  const image = await fetch(`${base}/_next/image?url=${encodeURIComponent("/api/artifacts/x")}&w=64&q=75`);
  expect(image.status).toBe(404);
  // The token-less e2e server: /api/health from a name other than localhost is refused (DNS rebinding).
  const health = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(`${baseURL}/api/health`);
      http
        .get({ host: u.hostname, port: u.port, path: u.pathname, headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
  expect(await health(new URL(baseURL ?? "").host)).toBe(200);
  expect(await health("evil.example")).toBe(403);
});

/** Clicks like a person: the element under the click point must be the target. */
async function click(page: Page, target: Locator) {
  const box = await target.boundingBox();
  if (!box) throw new Error("the target is not visible");
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const hit = await target.evaluate(
    (el, [px, py]) => {
      const top = document.elementFromPoint(px, py);
      return !!top && (top === el || el.contains(top));
    },
    [x, y] as const,
  );
  expect(hit, "the element at the click point is the target").toBe(true);
  await page.mouse.click(x, y);
}

test("the token dialog keeps the token in an HttpOnly cookie that scripts cannot read", async ({
  browser,
}) => {
  const context = await browser.newContext({ baseURL: base });
  try {
    const page = await context.newPage();
    await page.goto("/library");
    const dialog = page.getByRole("dialog", { name: "Access token" });
    await expect(dialog).toBeVisible();
    await page.locator("#pf-token").fill("wrong-token-wrong-token");
    await click(page, dialog.getByRole("button", { name: "Continue" }));
    await expect(dialog.getByRole("alert")).toContainText("wrong access token");
    await page.locator("#pf-token").fill(TOKEN);
    await click(page, dialog.getByRole("button", { name: "Continue" }));
    await expect(dialog).toBeHidden();
    await screenshot(page, "hardening-signed-in");
    const cookie = (await context.cookies()).find((c) => c.name === "petalflow_token");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Strict");
    expect(await page.evaluate(() => document.cookie)).not.toContain(TOKEN);
    // The cookie works: the library lists without asking again.
    await page.reload();
    await expect(page.getByRole("dialog", { name: "Access token" })).toBeHidden();

    // The queue panel follows queue.events (a snapshot, then deltas): the 6 paused runs of the first
    // test, one cancelled (a removal), one added (an append).
    await page.goto("/");
    const tab = page.getByRole("tab", { name: "Queue" });
    await click(page, tab);
    const items = page.getByTestId("queue-panel").getByTestId("queue-item");
    await expect(items).toHaveCount(6);
    const state = (await fetch(`${base}/api/trpc/queue.state`, { headers: auth }).then((r) => r.json())) as {
      result: { data: { queued: { id: string }[] } };
    };
    const first = state.result.data.queued[0].id;
    expect((await call("runs.cancel", { runId: first })).status).toBe(200);
    await expect(items).toHaveCount(5);
    expect((await call("runs.enqueue", { document: graph }, { "x-petalflow-client": "late" })).status).toBe(
      200,
    );
    await expect(items).toHaveCount(6);
    await expect(page.getByTestId("queue-panel")).toContainText("6 waiting");
    await screenshot(page, "hardening-queue-panel");
  } finally {
    await context.close();
  }
});
