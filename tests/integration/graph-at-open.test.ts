/**
 * The graph page's server-side read (server/http/graph-at-open.ts) on a real, migrated database: what
 * the API's graphs.get answers (in its JSON form), a fresh read id each time, and null wherever the API
 * would refuse or fail (the editor then asks /api/trpc, which reports the error as before).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../server/app";
import { readGraphAtOpen } from "../../server/http/graph-at-open";
import type { GraphDetail } from "../../server/routers/graphs";
import { makeTestApp, type TestApp, testEnv } from "./helpers/app";
import { txt2img } from "./helpers/documents";

let t: TestApp;
let graphId: string;
const local = () => new Headers({ host: "127.0.0.1:3000" });

beforeAll(async () => {
  t = await makeTestApp({ startWorker: false });
  const { graph } = await t.caller.graphs.create({ name: "Opened", document: txt2img() });
  graphId = graph.id;
  // An autosaved draft too: its time goes over as the API's ISO string.
  const edited = txt2img();
  edited.nodes[0].position = { x: 999, y: 1 };
  await t.caller.graphs.saveDraft({ id: graphId, document: edited });
});

afterAll(async () => {
  await t?.close();
});

describe("the graph read while the page renders", () => {
  it("is graphs.get's answer in its JSON form, with a new read id each time", async () => {
    const a = await readGraphAtOpen(t.app, graphId, local());
    const b = await readGraphAtOpen(t.app, graphId, local());
    const api = JSON.parse(JSON.stringify(await t.caller.graphs.get({ id: graphId })));
    const graph = JSON.parse(a?.json ?? "null") as GraphDetail;
    expect(graph).toEqual(api);
    expect(a?.graphId).toBe(graphId);
    expect(typeof graph.draft?.updatedAt).toBe("string");
    expect(graph.draft?.document.nodes.some((n) => n.position.x === 999)).toBe(true);
    expect(graph.headVersion?.number).toBe(1);
    expect(a?.readId).toMatch(/^[0-9a-f-]{36}$/);
    expect(b?.readId).not.toBe(a?.readId);
  });

  it("is left to the editor's request when the graph's answer is bigger than the page should carry", async () => {
    const size = JSON.stringify(await t.caller.graphs.get({ id: graphId })).length;
    expect(await readGraphAtOpen(t.app, graphId, local(), size - 1)).toBeNull();
    expect((await readGraphAtOpen(t.app, graphId, local(), size))?.json.length).toBe(size);
  });

  it("gives null for a missing graph, a deleted one and a malformed id", async () => {
    expect(await readGraphAtOpen(t.app, "no-such-graph", local())).toBeNull();
    expect(await readGraphAtOpen(t.app, "../etc/passwd", local())).toBeNull();
    const { graph } = await t.caller.graphs.create({ name: "Gone", document: txt2img() });
    await t.caller.graphs.delete({ id: graph.id });
    expect(await readGraphAtOpen(t.app, graph.id, local())).toBeNull();
  });

  it("keeps the API's local-request guard (no token): another host name or a cross-site origin", async () => {
    expect(await readGraphAtOpen(t.app, graphId, new Headers({ host: "evil.example" }))).toBeNull();
    expect(await readGraphAtOpen(t.app, graphId, new Headers())).toBeNull();
    const crossSite = new Headers({ host: "127.0.0.1:3000", origin: "http://evil.example" });
    expect(await readGraphAtOpen(t.app, graphId, crossSite)).toBeNull();
    expect(await readGraphAtOpen(t.app, graphId, new Headers({ host: "localhost:3000" }))).not.toBeNull();
  });

  it("needs the access token, from the cookie or a bearer header, when the server has one", async () => {
    const app = await createApp({
      env: testEnv(t.dir, t.databaseUrl, { PETALFLOW_TOKEN: "s3cret-token" }),
      startWorker: false,
      log: () => undefined,
    });
    try {
      const remote = { host: "petalflow.example.org" };
      expect(await readGraphAtOpen(app, graphId, new Headers(remote))).toBeNull();
      const wrong = new Headers({ ...remote, cookie: "petalflow_token=nope" });
      expect(await readGraphAtOpen(app, graphId, wrong)).toBeNull();
      const cookie = new Headers({ ...remote, cookie: "a=1; petalflow_token=s3cret-token" });
      expect((await readGraphAtOpen(app, graphId, cookie))?.graphId).toBe(graphId);
      const bearer = new Headers({ ...remote, authorization: "Bearer s3cret-token" });
      expect((await readGraphAtOpen(app, graphId, bearer))?.graphId).toBe(graphId);
    } finally {
      await app.close();
    }
  });
});
