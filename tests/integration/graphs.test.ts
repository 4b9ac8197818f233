/**
 * The library through the routers (createCaller on a temporary, really migrated database): graphs,
 * immutable versions, the autosaved draft, list/search/tags/pagination, import/export, hostile input.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalJson, emptyDocument } from "../../core/graph/document";
import { encodePng, PNG_TEXT_KEYS } from "../../server/media/png";
import { errorOf, makeTestApp, type TestApp } from "./helpers/app";
import { txt2img } from "./helpers/documents";

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp({ startWorker: false });
});

afterAll(async () => {
  await t?.close();
});

function pngWith(text: Record<string, string>): Buffer {
  const rgb = { width: 2, height: 2, channels: 3 as const, data: new Uint8Array(12).fill(200) };
  return Buffer.from(encodePng(rgb, text));
}

describe("graphs: versions and drafts", () => {
  it("creates a graph whose version 1 is the head", async () => {
    const { graph, problems } = await t.caller.graphs.create({
      name: "Circles",
      tags: ["Demo"],
      document: txt2img(),
    });
    expect(graph.headVersion?.number).toBe(1);
    expect(graph.headVersion?.document.nodes).toHaveLength(9);
    expect(graph.tags).toEqual(["demo"]);
    expect(problems).toEqual([]);
    expect(graph.draft).toBeNull();
  });

  it("saving an unchanged document creates no version and returns the head", async () => {
    const { graph } = await t.caller.graphs.create({ name: "Unchanged", document: txt2img() });
    const again = await t.caller.graphs.save({ id: graph.id, document: txt2img() });
    expect(again.version).toEqual({ id: graph.headVersion!.id, number: 1, created: false });
    // Key order and node order do not matter: the canonical form is hashed.
    const shuffled = txt2img();
    shuffled.nodes.reverse();
    const third = await t.caller.graphs.save({ id: graph.id, document: shuffled });
    expect(third.version.created).toBe(false);
    const versions = await t.caller.graphs.versions({ id: graph.id });
    expect(versions.items).toHaveLength(1);
  });

  it("saves changes as new immutable versions and restores an old one as the head", async () => {
    const { graph } = await t.caller.graphs.create({ name: "History", document: txt2img({ steps: 3 }) });
    const v2 = await t.caller.graphs.save({
      id: graph.id,
      document: txt2img({ steps: 4 }),
      message: "more steps",
    });
    const v3 = await t.caller.graphs.save({ id: graph.id, document: txt2img({ steps: 5 }) });
    expect([v2.version.number, v3.version.number]).toEqual([2, 3]);
    expect(v2.version.created).toBe(true);

    const list = await t.caller.graphs.versions({ id: graph.id });
    expect(list.items.map((v) => [v.number, v.isHead])).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
    expect(list.items[1].message).toBe("more steps");
    const v1 = await t.caller.graphs.version({ versionId: list.items[2].id });
    expect(v1.document.nodes.find((n) => n.id === "sched")?.params.steps).toBe(3);
    expect(v1.hash).toMatch(/^[0-9a-f]{64}$/);

    const restored = await t.caller.graphs.restoreVersion({ id: graph.id, versionId: v1.id });
    expect(restored.graph.headVersion?.number).toBe(1);
    expect(restored.graph.headVersion?.document.nodes.find((n) => n.id === "sched")?.params.steps).toBe(3);
    // Nothing was rewritten: v1's bytes are what they were.
    const again = await t.caller.graphs.version({ versionId: v1.id });
    expect(again.hash).toBe(v1.hash);
    // The next real change numbers on from the highest version.
    const v4 = await t.caller.graphs.save({ id: graph.id, document: txt2img({ steps: 6 }) });
    expect(v4.version.number).toBe(4);
  });

  it("a restored version is the one source of truth: the graph takes its name and its run's thumbnail", async () => {
    const db = t.app.db;
    const { graph } = await t.caller.graphs.create({ name: "Before", document: txt2img({ steps: 3 }) });
    const v1 = graph.headVersion!;
    const v2 = await t.caller.graphs.save({
      id: graph.id,
      document: { ...txt2img({ steps: 4 }), name: "After" },
    });
    await t.caller.graphs.rename({ id: graph.id, name: "After" });
    // An image made by a run of each version; the graph shows the newest (v2's) as its thumbnail.
    const imageOf = async (versionId: string, sha: string) => {
      const run = await db.run.create({
        data: {
          graphId: graph.id,
          graphVersionId: versionId,
          document: "{}",
          queueSeq: 0,
          status: "succeeded",
        },
      });
      return db.artifact.create({
        data: {
          runId: run.id,
          nodeId: "save",
          kind: "image",
          path: `x/${sha}.png`,
          sha256: sha,
          bytes: 1,
          mimeType: "image/png",
        },
      });
    };
    const image1 = await imageOf(v1.id, "a".repeat(64));
    const image2 = await imageOf(v2.version.id, "b".repeat(64));
    await db.graph.update({ where: { id: graph.id }, data: { thumbnailArtifactId: image2.id } });

    const restored = await t.caller.graphs.restoreVersion({ id: graph.id, versionId: v1.id });
    expect(restored.graph.name).toBe(restored.graph.headVersion?.document.name);
    const card = (await t.caller.graphs.list({ search: restored.graph.name })).items.find(
      (g) => g.id === graph.id,
    );
    expect(card?.head?.number).toBe(1);
    expect(card?.thumbnailUrl).toBe(`/api/artifacts/${image1.id}`);
    // Back to v2: its name and its image again.
    const again = await t.caller.graphs.restoreVersion({ id: graph.id, versionId: v2.version.id });
    expect(again.graph.name).toBe("After");
    expect(again.graph.thumbnailUrl).toBe(`/api/artifacts/${image2.id}`);
    // A version that never ran has no image to show (not another version's).
    const v3 = await t.caller.graphs.save({ id: graph.id, document: txt2img({ steps: 9 }) });
    await t.caller.graphs.restoreVersion({ id: graph.id, versionId: v1.id });
    const back = await t.caller.graphs.restoreVersion({ id: graph.id, versionId: v3.version.id });
    expect(back.graph.thumbnailUrl).toBeNull();
  });

  it("a save from an editor opened before a restore says which current version it replaces", async () => {
    const { graph } = await t.caller.graphs.create({ name: "Stale", document: txt2img({ steps: 3 }) });
    const v1 = graph.headVersion!;
    const v2 = await t.caller.graphs.save({
      id: graph.id,
      document: txt2img({ steps: 4 }),
      baseVersionId: v1.id,
    });
    expect(v2.headMoved).toBeNull();
    await t.caller.graphs.restoreVersion({ id: graph.id, versionId: v1.id });
    // An editor still on v2 saves an edit: a new version, and the restore is reported, not lost silently.
    const v3 = await t.caller.graphs.save({
      id: graph.id,
      document: txt2img({ steps: 5 }),
      baseVersionId: v2.version.id,
    });
    expect(v3.version.number).toBe(3);
    expect(v3.headMoved).toEqual({ number: 1 });
    expect(
      (await t.caller.graphs.save({ id: graph.id, document: txt2img({ steps: 6 }) })).headMoved,
    ).toBeNull();
  });

  it("autosaves a draft without creating a version; saving clears it", async () => {
    const { graph } = await t.caller.graphs.create({ name: "Draft", document: txt2img() });
    const draft = await t.caller.graphs.saveDraft({
      id: graph.id,
      document: txt2img({ prompt: "a blue square" }),
    });
    expect(draft.hasDraft).toBe(true);
    const got = await t.caller.graphs.get({ id: graph.id });
    expect(got.draft?.document.nodes.find((n) => n.id === "pos")?.params.text).toBe("a blue square");
    expect(got.headVersion?.number).toBe(1);
    expect((await t.caller.graphs.versions({ id: graph.id })).items).toHaveLength(1);

    // A draft equal to the head is no draft.
    expect((await t.caller.graphs.saveDraft({ id: graph.id, document: txt2img() })).hasDraft).toBe(false);
    await t.caller.graphs.saveDraft({ id: graph.id, document: txt2img({ prompt: "x" }) });
    await t.caller.graphs.save({ id: graph.id, document: txt2img({ prompt: "x" }) });
    expect((await t.caller.graphs.get({ id: graph.id })).draft).toBeNull();
  });

  it("stores unfinished graphs (graph problems are data) but refuses malformed documents", async () => {
    const unfinished = txt2img();
    unfinished.edges = unfinished.edges.filter((e) => e.to.node !== "decode");
    const { graph, problems } = await t.caller.graphs.create({ name: "Unfinished", document: unfinished });
    expect(graph.headVersion?.number).toBe(1);
    expect(problems.some((p) => p.nodeId === "decode" && p.code === "missing_input")).toBe(true);

    const bad = {
      ...txt2img(),
      nodes: [{ id: "a", type: "noise", version: 1, position: { x: "left", y: 0 } }],
    };
    const err = await errorOf(() => t.caller.graphs.save({ id: graph.id, document: bad as never }));
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as unknown as TRPCError).code).toBe("BAD_REQUEST");
  });

  it("renames, describes, tags, duplicates, archives and deletes; missing rows are NOT_FOUND", async () => {
    const { graph } = await t.caller.graphs.create({ name: "Ops", document: txt2img() });
    expect((await t.caller.graphs.rename({ id: graph.id, name: "Renamed" })).name).toBe("Renamed");
    const updated = await t.caller.graphs.update({ id: graph.id, description: "d", tags: ["B", "a", "b"] });
    expect(updated).toMatchObject({ description: "d", tags: ["a", "b"] });
    const copy = await t.caller.graphs.duplicate({ id: graph.id });
    expect(copy.name).toBe("Renamed (copy)");
    expect(copy.tags).toEqual(["a", "b"]);
    expect(copy.id).not.toBe(graph.id);
    expect((await t.caller.graphs.archive({ id: copy.id })).archived).toBe(true);
    expect((await t.caller.graphs.unarchive({ id: copy.id })).archived).toBe(false);
    await t.caller.graphs.delete({ id: copy.id });
    for (const call of [
      () => t.caller.graphs.get({ id: copy.id }),
      () => t.caller.graphs.rename({ id: copy.id, name: "x" }),
      () => t.caller.graphs.delete({ id: copy.id }),
      () => t.caller.graphs.version({ versionId: "nope" }),
    ]) {
      const err = await errorOf(call);
      expect((err as unknown as TRPCError).code).toBe("NOT_FOUND");
    }
  });
});

describe("graphs: list, search, tags, pagination", () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++)
      await t.caller.graphs.create({
        name: `Paged ${i}`,
        tags: i % 2 ? ["odd", "paged"] : ["paged"],
        document: emptyDocument(`Paged ${i}`),
      });
  });

  it("searches by name substring (case-insensitive) and by tag", async () => {
    const byName = await t.caller.graphs.list({ search: "paged", limit: 100 });
    expect(byName.items).toHaveLength(7);
    const odd = await t.caller.graphs.list({ tag: "ODD" });
    expect(odd.items.map((g) => g.name).sort()).toEqual(["Paged 1", "Paged 3", "Paged 5"]);
    const tags = await t.caller.graphs.tags();
    expect(tags).toContainEqual({ tag: "odd", count: 3 });
  });

  it("pages with a cursor, newest first, without repeats", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await t.caller.graphs.list({ tag: "paged", limit: 3, cursor });
      seen.push(...page.items.map((g) => g.name));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(["Paged 6", "Paged 5", "Paged 4", "Paged 3", "Paged 2", "Paged 1", "Paged 0"]);
  });

  it("hides archived graphs unless asked", async () => {
    const page = await t.caller.graphs.list({ search: "Paged 2" });
    await t.caller.graphs.archive({ id: page.items[0].id });
    expect((await t.caller.graphs.list({ search: "Paged 2" })).items).toHaveLength(0);
    expect((await t.caller.graphs.list({ search: "Paged 2", archived: "archived" })).items).toHaveLength(1);
    expect((await t.caller.graphs.list({ search: "Paged", archived: "all", limit: 100 })).items).toHaveLength(
      7,
    );
  });
});

describe("graphs: import and export", () => {
  it("round-trips a document through export and JSON import", async () => {
    const { graph } = await t.caller.graphs.create({ name: "Export me!", document: txt2img({ seed: 77 }) });
    const out = await t.caller.graphs.export({ id: graph.id });
    expect(out.fileName).toBe("export-me.petalflow.json");
    expect(out.json).toBe(canonicalJson(txt2img({ seed: 77 })));
    const back = await t.caller.graphs.import({ source: { kind: "json", text: out.json } });
    expect(back.graph.headVersion?.hash).toBe(graph.headVersion?.hash);
    expect(back.graph.name).toBe("txt2img");
  });

  it("imports the graph embedded in a PNG made by our encoder", async () => {
    const doc = txt2img({ prompt: "from a png", seed: 5 });
    const png = pngWith({
      [PNG_TEXT_KEYS.document]: canonicalJson(doc),
      [PNG_TEXT_KEYS.seeds]: '{"seed":"5"}',
    });
    const { graph } = await t.caller.graphs.import({
      source: { kind: "png", base64: png.toString("base64") },
      name: "From PNG",
    });
    expect(graph.name).toBe("From PNG");
    expect(graph.headVersion?.document).toEqual(JSON.parse(canonicalJson(doc)));
  });

  it("refuses hostile or invalid imports with a clear BAD_REQUEST", async () => {
    const doc = canonicalJson(txt2img());
    const good = pngWith({ [PNG_TEXT_KEYS.document]: doc });
    const badCrc = Buffer.from(good);
    // Flip a byte inside the first chunk after IHDR (our text chunk): its CRC no longer matches.
    badCrc[33 + 8 + 20] ^= 0xff;
    const cases: [string, Parameters<typeof t.caller.graphs.import>[0], RegExp][] = [
      ["garbage base64", { source: { kind: "png", base64: "%%% not base64 %%%" } }, /not valid base64/],
      [
        "not a PNG",
        { source: { kind: "png", base64: Buffer.from("hello world").toString("base64") } },
        /PNG/,
      ],
      ["wrong CRC", { source: { kind: "png", base64: badCrc.toString("base64") } }, /CRC/i],
      [
        "PNG without a graph",
        { source: { kind: "png", base64: pngWith({ Software: "x" }).toString("base64") } },
        /no Petalflow graph/,
      ],
      [
        "PNG with invalid JSON",
        { source: { kind: "png", base64: pngWith({ petalflow: "{nope" }).toString("base64") } },
        /not valid JSON/,
      ],
      [
        "JSON that is not a document",
        { source: { kind: "json", text: '{"hello":1}' } },
        /not a Petalflow graph/,
      ],
      ["not JSON", { source: { kind: "json", text: "<html>" } }, /not valid JSON/],
    ];
    for (const [what, input, message] of cases) {
      const err = (await errorOf(() => t.caller.graphs.import(input))) as unknown as TRPCError;
      expect(err.code, what).toBe("BAD_REQUEST");
      expect(err.message, what).toMatch(message);
    }
  });
});
