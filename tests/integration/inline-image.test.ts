/**
 * Click → image (issue 18): the last hop was one more request — the editor got Save Image's
 * node.finished, then asked /api/artifacts/<id> for the image, which waited behind the run's end in
 * the database. A small image now rides along in the live event (FileOutput.inline, a data: URL), as a
 * latent preview does; the stored event, and so every replay, is unchanged and names the artifact.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { RunEvent } from "../../core/run/events";
import { makeTestApp, type TestApp } from "./helpers/app";
import { txt2img } from "./helpers/documents";
import { collect } from "./helpers/events";

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp({ runner: "process" }); // as the server runs: the image is made in the runner
});

afterAll(async () => {
  await t?.close();
});

type Finished = Extract<RunEvent, { type: "node.finished" }>;
const saved = (events: { data: unknown }[]) =>
  events
    .map((e) => e.data as RunEvent)
    .find((e): e is Finished => e.type === "node.finished" && e.nodeType === "save-image");

it("the live node.finished carries the saved image inline; the stored event and its replay do not", async () => {
  const runId = `small-image-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const live = collect(await t.caller.runs.events({ runId, pending: true }));
  await t.caller.runs.enqueue({ document: txt2img({ seed: 5 }), runIds: [runId] });
  const event = saved(await live);
  expect(event?.files).toHaveLength(1);
  const file = event!.files![0];
  expect(file.inline).toMatch(/^data:image\/png;base64,/);
  const bytes = Buffer.from(file.inline!.slice("data:image/png;base64,".length), "base64");
  // The very file the artifact serves.
  const row = await t.app.db.artifact.findUniqueOrThrow({ where: { id: file.artifactId! } });
  expect(createHash("sha256").update(bytes).digest("hex")).toBe(row.sha256);
  expect(bytes.equals(fs.readFileSync(path.join(t.dir, "data", row.path)))).toBe(true);

  const stored = await t.app.db.runEvent.findMany({ where: { runId, type: "node.finished" } });
  expect(stored.length).toBeGreaterThan(0);
  for (const s of stored) expect(s.payload).not.toContain(`"inline":`);
  const replayed = saved(await collect(await t.caller.runs.events({ runId })));
  expect(replayed?.files?.[0]).toEqual({ ...file, inline: undefined });
  expect(replayed?.files?.[0]).not.toHaveProperty("inline");
});
