/** Share links: a token reads exactly one version and its images, nothing else, and writes nothing. */
import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createContextInner } from "../../server/context";
import { serveArtifact } from "../../server/http/files";
import { createCaller } from "../../server/routers/_app";
import { errorOf, makeTestApp, type TestApp, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";

let t: TestApp;
let anonymous: ReturnType<typeof createCaller>;
let graphId: string;
let v1: string;
let v2: string;
let v1Image: string;
let v2Image: string;
let otherGraphImage: string;

const codeOf = async (fn: () => Promise<unknown>) => ((await errorOf(fn)) as unknown as TRPCError).code;

async function runImage(versionId: string): Promise<string> {
  const { runs } = await t.caller.runs.enqueue({ versionId });
  expect(await waitForRun(t.app, runs[0].id)).toBe("succeeded");
  return (await t.caller.runs.get({ id: runs[0].id })).images[0].id;
}

beforeAll(async () => {
  // A token is configured: the anonymous caller is an unauthenticated request.
  t = await makeTestApp({ env: { PETALFLOW_TOKEN: "correct-horse-battery-staple" } });
  anonymous = createCaller(createContextInner({ app: t.app, authenticated: false }));
  const { graph } = await t.caller.graphs.create({ name: "Shared", document: txt2img({ seed: 1 }) });
  graphId = graph.id;
  v1 = graph.headVersion!.id;
  v2 = (await t.caller.graphs.save({ id: graphId, document: txt2img({ seed: 2 }) })).version.id;
  v1Image = await runImage(v1);
  v2Image = await runImage(v2);
  const other = await t.caller.graphs.create({ name: "Private", document: txt2img({ seed: 3 }) });
  otherGraphImage = await runImage(other.graph.headVersion!.id);
});

afterAll(async () => {
  await t?.close();
});

describe("shares", () => {
  it("gives a long random token that reads its version's document and images only", async () => {
    const share = await t.caller.shares.create({ versionId: v1 });
    expect(share.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const seen = await anonymous.shares.get({ token: share.token });
    expect(seen.graphName).toBe("Shared");
    expect(seen.versionNumber).toBe(1);
    expect(seen.document.nodes.find((n) => n.id === "noise")?.params.seed).toBe(1);
    expect(seen.images.map((i) => i.id)).toEqual([v1Image]);
    expect(seen.images[0].url).toBe(`/api/artifacts/${v1Image}?share=${share.token}`);
    expect(Object.keys(seen).sort()).toEqual([
      "createdAt",
      "document",
      "graphName",
      "images",
      "versionNumber",
    ]);
    await anonymous.shares.get({ token: share.token });
    const listed = await t.caller.shares.list({ graphId });
    expect(listed.find((s) => s.id === share.id)).toMatchObject({
      viewCount: 2,
      active: true,
      versionNumber: 1,
    });
  });

  it("lets the token fetch its own images and no others", async () => {
    const share = await t.caller.shares.create({ versionId: v1 });
    const get = (id: string, token?: string) =>
      serveArtifact(
        t.app,
        new Request(`http://x/api/artifacts/${id}${token ? `?share=${token}` : ""}`),
        id,
      ).then((r) => r.status);
    expect(await get(v1Image, share.token)).toBe(200);
    expect(await get(v2Image, share.token)).toBe(401); // same graph, other version
    expect(await get(otherGraphImage, share.token)).toBe(401);
    expect(await get(v1Image)).toBe(401);
  });

  it("refuses revoked, expired and unknown tokens alike (NOT_FOUND)", async () => {
    const revoked = await t.caller.shares.create({ versionId: v2 });
    await t.caller.shares.revoke({ id: revoked.id });
    const expired = await t.caller.shares.create({ versionId: v2, expiresInDays: 1 });
    await t.app.db.share.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    for (const token of [revoked.token, expired.token, "A".repeat(32)])
      expect(await codeOf(() => anonymous.shares.get({ token }))).toBe("NOT_FOUND");
    const listed = await t.caller.shares.list({ graphId });
    expect(listed.find((s) => s.id === revoked.id)?.active).toBe(false);
    expect(listed.find((s) => s.id === expired.id)?.active).toBe(false);
  });

  it("cannot write or read anything else without the access token", async () => {
    const share = await t.caller.shares.create({ versionId: v1 });
    const attempts: (() => Promise<unknown>)[] = [
      () => anonymous.shares.copyToLibrary({ token: share.token }),
      () => anonymous.shares.create({ versionId: v1 }),
      () => anonymous.shares.revoke({ id: share.id }),
      () => anonymous.shares.list({ graphId }),
      () => anonymous.graphs.get({ id: graphId }),
      () => anonymous.graphs.list(),
      () => anonymous.graphs.save({ id: graphId, document: txt2img() }),
      () => anonymous.graphs.delete({ id: graphId }),
      () => anonymous.runs.enqueue({ versionId: v1 }),
      () => anonymous.runs.list(),
      () => anonymous.nodes.catalog(),
      () => anonymous.system.stats(),
      () => anonymous.queue.pause(),
    ];
    for (const attempt of attempts) expect(await codeOf(attempt)).toBe("UNAUTHORIZED");
    expect((await t.caller.graphs.versions({ id: graphId })).items).toHaveLength(2);
  });

  it("copies the shared version into the library for an authenticated user", async () => {
    const share = await t.caller.shares.create({ versionId: v2 });
    const { graphId: copy } = await t.caller.shares.copyToLibrary({ token: share.token });
    const g = await t.caller.graphs.get({ id: copy });
    expect(g.name).toBe("Shared");
    expect(g.headVersion?.document.nodes.find((n) => n.id === "noise")?.params.seed).toBe(2);
  });
});
