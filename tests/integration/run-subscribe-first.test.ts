/**
 * Subscribing to a run before enqueueing it (issue 18, click → image): the editor chooses the run's id,
 * opens `runs.events({ runId, pending: true })` and sends `runs.enqueue({ runIds })` at once, so the
 * stream is listening when the run starts instead of opening one round trip after the enqueue answer.
 * The stream must still carry every event once, in order, to the terminal one; a run that never comes
 * ends the stream NOT_FOUND (after the wait, or at once when the client goes away).
 */
import type { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamRunEvents } from "../../server/events/stream";
import { errorOf, makeTestApp, type TestApp, waitForRun } from "./helpers/app";
import { txt2img } from "./helpers/documents";
import { collect, unwrap } from "./helpers/events";

let t: TestApp;

beforeAll(async () => {
  t = await makeTestApp();
});

afterAll(async () => {
  await t?.close();
});

const newId = (tag: string) => `${tag}-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;

/** Resolves once a stream for `runId` listens on the bus (the subscription is open server-side). */
function listening(runId: string): Promise<void> {
  const bus = t.app.bus;
  const onRun = bus.onRun.bind(bus);
  return new Promise((resolve) => {
    bus.onRun = (id, listener) => {
      if (id === runId) {
        bus.onRun = onRun;
        resolve();
      }
      return onRun(id, listener);
    };
  });
}

describe("runs.events before runs.enqueue (client-chosen run ids)", () => {
  it("a stream opened before its run is enqueued carries every event, live, to the terminal one", async () => {
    const runId = newId("first");
    const open = listening(runId);
    const streamed = collect(await t.caller.runs.events({ runId, pending: true }));
    await open;
    expect(await t.app.db.run.count({ where: { id: runId } })).toBe(0); // not there yet
    const { runs } = await t.caller.runs.enqueue({ document: txt2img({ seed: 3 }), runIds: [runId] });
    expect(runs.map((r) => r.id)).toEqual([runId]);
    const events = await streamed;
    expect(events[0].data.type).toBe("run.started");
    expect(events.at(-1)?.data.type).toBe("run.finished");
    // Live: progress events (never stored) came through; stored ones once each, in order.
    expect(events.some((e) => e.data.type === "node.progress")).toBe(true);
    const stored = await t.app.db.runEvent.findMany({ where: { runId }, orderBy: { seq: "asc" } });
    expect(events.filter((e) => e.data.type !== "node.progress").map((e) => e.id)).toEqual(
      stored.map((e) => String(e.seq)),
    );
    expect(events.map((e) => Number(e.id))).toEqual(
      [...events.map((e) => Number(e.id))].sort((a, b) => a - b),
    );
  });

  it("a stream waiting for its run reads nothing more from the database once the run is enqueued", async () => {
    // The stream's own reads, through a counting view of the database (the app's other users are not counted).
    const reads: string[] = [];
    let firstRead!: () => void;
    const firstReadDone = new Promise<void>((r) => {
      firstRead = r;
    });
    const db = new Proxy(t.app.db, {
      get(target, model, receiver) {
        const delegate = Reflect.get(target, model, receiver);
        if (model !== "run" && model !== "runEvent") return delegate;
        return new Proxy(delegate, {
          get(d, method, r) {
            const fn = Reflect.get(d, method, r);
            if (typeof fn !== "function") return fn;
            return async (...args: unknown[]) => {
              reads.push(`${String(model)}.${String(method)}`);
              const out = await fn.apply(d, args);
              if (reads.length === 1) firstRead();
              return out;
            };
          },
        });
      },
    });
    const runId = newId("no-reads");
    const stream = collect(
      streamRunEvents({ ...t.app, db } as typeof t.app, runId, null, undefined, { waitMs: 60_000 }),
    );
    await firstReadDone; // it looked, and the run was not there
    expect(reads).toEqual(["run.findUnique"]);
    await t.caller.runs.enqueue({ document: txt2img({ seed: 4 }), runIds: [runId] });
    const events = await stream;
    expect(events[0].data.type).toBe("run.started");
    expect(events.at(-1)?.data.type).toBe("run.finished");
    const stored = await t.app.db.runEvent.count({ where: { runId } });
    expect(events.filter((e) => e.data.type !== "node.progress")).toHaveLength(stored);
    expect(reads).toEqual(["run.findUnique"]); // not again, nor the stored events, nor the status
  });

  it("a batch takes one id per run, in order", async () => {
    const ids = [newId("b0"), newId("b1")];
    const { runs } = await t.caller.runs.enqueue({
      document: txt2img(),
      batch: { count: 2, seeds: "sequential" },
      runIds: ids,
    });
    expect(runs.map((r) => r.id)).toEqual(ids);
    for (const id of ids) expect(await waitForRun(t.app, id)).toBe("succeeded");
  });

  it("refuses ids that do not fit, and an id in use, queueing nothing", async () => {
    const before = await t.app.db.run.count();
    const wrongCount = await errorOf(() =>
      t.caller.runs.enqueue({
        document: txt2img(),
        batch: { count: 2, seeds: "sequential" },
        runIds: [newId("x")],
      }),
    );
    expect((wrongCount as unknown as TRPCError).code).toBe("BAD_REQUEST");
    expect(wrongCount.message).toMatch(/runIds: 2 different ids expected \(one per run\), got 1/);
    const same = newId("same");
    const twice = await errorOf(() =>
      t.caller.runs.enqueue({
        document: txt2img(),
        batch: { count: 2, seeds: "sequential" },
        runIds: [same, same],
      }),
    );
    expect((twice as unknown as TRPCError).code).toBe("BAD_REQUEST");
    const short = await errorOf(() => t.caller.runs.enqueue({ document: txt2img(), runIds: ["short"] }));
    expect(short.message).toMatch(/at least 20 characters/);
    expect(await t.app.db.run.count()).toBe(before);

    const { runs } = await t.caller.runs.enqueue({ document: txt2img(), runIds: [newId("taken")] });
    await waitForRun(t.app, runs[0].id);
    const clash = await errorOf(() =>
      t.caller.runs.enqueue({
        document: txt2img(),
        batch: { count: 2, seeds: "sequential" },
        runIds: [newId("fresh"), runs[0].id],
      }),
    );
    expect((clash as unknown as TRPCError).code).toBe("CONFLICT");
    expect(await t.app.db.run.count()).toBe(before + 1); // all or none: the fresh id is not queued
  });

  it("a pending stream whose run never comes ends NOT_FOUND after its wait, or at once when aborted", async () => {
    const never = newId("never");
    const gen = streamRunEvents(t.app, never, null, undefined, { waitMs: 300 });
    const err = await errorOf(async () => {
      for await (const item of gen) unwrap(item);
    });
    expect((err as unknown as TRPCError).code).toBe("NOT_FOUND");

    const abort = new AbortController();
    const waiting = streamRunEvents(t.app, newId("gone"), null, abort.signal, { waitMs: 600_000 });
    const ended = (async () => {
      const items: unknown[] = [];
      for await (const item of waiting) items.push(item);
      return items;
    })();
    abort.abort();
    expect(await ended).toEqual([]); // ended without an error and without events, long before the wait

    // Without `pending` an unknown run is NOT_FOUND at once, as before.
    const plain = await errorOf(async () => collect(await t.caller.runs.events({ runId: newId("plain") })));
    expect((plain as unknown as TRPCError).code).toBe("NOT_FOUND");
  });
});
