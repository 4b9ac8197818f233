/**
 * A disk that fills (issue #13, item 7), made real without root tricks: SQLite's `PRAGMA
 * max_page_count` on the app's own connection gives a genuine SQLITE_FULL through Prisma and the
 * driver adapter, and /dev/full a genuine ENOSPC from node:fs. Checked: API calls and uploads say
 * "disk full" (503 / 507) instead of "internal server error"; a run whose end cannot be written while
 * the disk is full is recorded once space returns, instead of staying `running` forever.
 */
import { writeFile } from "node:fs/promises";
import { TRPCError } from "@trpc/server";
import { afterAll, expect, it } from "vitest";
import { isDiskFull } from "../../../server/db/disk-full";
import { receiveUpload } from "../../../server/http/files";
import { encodePng } from "../../../server/media/png";
import { makeTestApp, type TestApp, waitForRun } from "../helpers/app";
import { txt2img } from "../helpers/documents";
import { until } from "./helpers";

const opened: TestApp[] = [];
const counts = { apiSaidDiskFull: 0, uploadsSaidDiskFull: 0, runsRecoveredAfterSpace: 0 };
afterAll(async () => {
  for (const a of opened) await a.close().catch(() => undefined);
  console.log(
    `[faults] disk full: ${counts.apiSaidDiskFull} API call(s) answered SERVICE_UNAVAILABLE "disk is full", ` +
      `${counts.uploadsSaidDiskFull} upload(s) answered 507, ${counts.runsRecoveredAfterSpace} run(s) stuck by a full disk recorded once space returned`,
  );
});

/** Caps the database at its current size and packs the last pages, so that the next write needs a page. */
/** A document whose stored JSON needs new pages (a small compact one could still fit a table's empty root page). */
const pagesLong = () => ({ ...txt2img(), metadata: { note: "x".repeat(16_000) } });

async function fillDatabase(t: TestApp): Promise<void> {
  const db = t.app.db;
  const dummy = await db.run.create({
    data: { document: "{}", queueSeq: -1, status: "cancelled" },
    select: { id: true },
  });
  const [{ page_count }] = await db.$queryRawUnsafe<{ page_count: bigint }[]>("PRAGMA page_count");
  await db.$queryRawUnsafe(`PRAGMA max_page_count = ${Number(page_count)}`);
  let n = 0;
  // Every table the checks write to gets its last page packed (a row that still fits needs no page).
  const inserters = [
    (size: number) =>
      db.runEvent.create({ data: { runId: dummy.id, seq: n++, type: "filler", payload: "x".repeat(size) } }),
    (size: number) =>
      db.upload.create({
        data: {
          sha256: `filler${n++}`,
          path: "x".repeat(size),
          mimeType: "image/png",
          width: 1,
          height: 1,
          bytes: 1,
        },
      }),
  ];
  for (const insert of inserters)
    for (const size of [4000, 1000, 200, 40, 1]) {
      for (;;) {
        try {
          await insert(size);
        } catch (e) {
          if (!isDiskFull(e)) throw e;
          break;
        }
      }
    }
}

async function freeSpace(t: TestApp): Promise<void> {
  await t.app.db.$queryRawUnsafe("PRAGMA max_page_count = 1073741823");
}

it("node:fs ENOSPC and SQLite's SQLITE_FULL are both recognised as a full disk", async () => {
  const enospc = await writeFile("/dev/full", "x").then(
    () => null,
    (e: unknown) => e,
  );
  expect((enospc as NodeJS.ErrnoException | null)?.code).toBe("ENOSPC");
  expect(isDiskFull(enospc)).toBe(true);
  expect(isDiskFull(new Error("unique constraint failed"))).toBe(false);
});

it("API calls and uploads on a full disk say so (503 / 507), not 'internal server error'", async () => {
  const t = await makeTestApp({ startWorker: false });
  opened.push(t);
  await fillDatabase(t);
  const e = await t.caller.graphs.create({ name: "too much", document: pagesLong() }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TRPCError);
  expect((e as TRPCError).code).toBe("SERVICE_UNAVAILABLE");
  expect((e as TRPCError).message).toMatch(/disk is full/);
  counts.apiSaidDiskFull++;

  const px = new Uint8Array(8 * 8 * 3).fill(128);
  const res = await receiveUpload(
    t.app,
    new Request("http://localhost/api/uploads", {
      method: "POST",
      headers: { host: "localhost", "content-type": "image/png" },
      body: encodePng({ width: 8, height: 8, channels: 3, data: px }) as Uint8Array<ArrayBuffer>,
    }),
  );
  expect(res.status).toBe(507);
  expect(((await res.json()) as { error: string }).error).toMatch(/disk is full/);
  counts.uploadsSaidDiskFull++;

  await freeSpace(t);
  await t.caller.graphs.create({ name: "fits again", document: txt2img() });
});

it("a run whose end cannot be written on a full disk is recorded once space returns", async () => {
  const logs: string[] = [];
  const t = await makeTestApp({ runner: "inline", log: (m) => logs.push(m) });
  opened.push(t);
  const id = (await t.caller.runs.enqueue({ document: txt2img({ steps: 1000, size: 256 }) })).runs[0].id;
  await until(
    "the run to be sampling",
    () =>
      t.app.db.runEvent.findFirst({
        where: { runId: id, type: "node.started", payload: { contains: '"nodeId":"sample"' } },
      }),
    60_000,
  );
  await fillDatabase(t);
  expect((await t.caller.runs.cancel({ runId: id })).state).toBe("cancelling");
  // The end cannot be written: the run stays `running` while the worker retries.
  await until("the worker to fail recording the run's end", async () =>
    logs.some((l) => l.includes(`could not record the end of run ${id} (the disk is full)`)),
  );
  expect((await t.app.db.run.findUniqueOrThrow({ where: { id } })).status).toBe("running");
  await freeSpace(t);
  expect(await waitForRun(t.app, id, 60_000)).toBe("cancelled");
  const last = await t.app.db.runEvent.findFirst({ where: { runId: id }, orderBy: { seq: "desc" } });
  expect(last?.type).toBe("run.cancelled");
  counts.runsRecoveredAfterSpace++;
});
