/** Runs: validate, enqueue (batches), rerun, sweep, cancel, retry, history, and the live event stream. */

import { TRPCError } from "@trpc/server";
import { nanoid } from "nanoid";
import { z } from "zod";
import { hasErrorCode } from "../../core/error-codes";
import { randomSeed } from "../../core/graph/overrides";
import { validateDocument } from "../../core/graph/validate";
import { registry } from "../../nodes/registry";
import type { App } from "../app";
import { modelPairingProblems } from "../diffusion/family-check";
import { type GraphInvalidError, graphInvalid, notFound } from "../errors";
import { PENDING_RUN_WAIT_MS, streamRunEvents } from "../events/stream";
import { readStored } from "../library/documents";
import { RETRYABLE, RUN_STATUSES, type RunStatus } from "../queue/queue";
import {
  batchBaseSeed,
  batchSeeds,
  cellLabel,
  type PlannedRun,
  planRun,
  rawSource,
  resolveSource,
  withOverrides,
} from "../runs/plan";
import { protectedProcedure, router } from "../trpc";
import { overridesInput, pageLimit, paramValue, rowId, seedInput } from "./inputs";
import { runDetailSelect, runSummarySelect, toRunDetail, toRunSummary } from "./responses";

/** A saved version, or an unsaved document (optionally of a graph). */
const source = {
  versionId: rowId.optional(),
  graphId: rowId.optional(),
  /** An unsaved document; checked by validateDocument, whose problems come back keyed by node. */
  document: z.unknown().optional(),
};

const MAX_SWEEP_CELLS = 64;

/**
 * A run id the client chose (runs.enqueue's `runIds`): long and random enough that nobody guesses
 * another's, so a client can subscribe to its run's events before the enqueue answers.
 */
export const clientRunId = z
  .string()
  .min(20, "at least 20 characters")
  .max(64, "at most 64 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only");

export interface QueuedRunInfo {
  id: string;
  /** The seed each seed widget will use, by "node.param", as decimal strings. */
  seeds: Record<string, string>;
  label: string | null;
  batchIndex: number | null;
}

/** Queues planned runs (all or none) and maps the queue's refusals to tRPC errors. */
async function enqueueAll(app: App, clientId: string, runs: PlannedRun[]): Promise<QueuedRunInfo[]> {
  let ids: string[];
  try {
    ids = await app.queue.enqueue(runs, clientId);
  } catch (e) {
    if (hasErrorCode(e, "QUEUE_FULL")) throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: e.message });
    // A client-chosen id already taken (Prisma's unique-constraint code): nothing was queued.
    if ((e as { code?: unknown }).code === "P2002" && runs.some((r) => r.id))
      throw new TRPCError({ code: "CONFLICT", message: "a run with one of these ids exists already" });
    throw e;
  }
  return runs.map((r, i) => ({
    id: ids[i],
    seeds: r.seeds,
    label: r.label ?? null,
    batchIndex: r.batchIndex ?? null,
  }));
}

/** Planning errors (a GraphInvalidError) become BAD_REQUEST with the node-keyed errors as data. */
function planned<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (hasErrorCode(e, "GRAPH_INVALID")) throw graphInvalid(e as GraphInvalidError);
    throw e;
  }
}

/** The source document, ready to run; an invalid graph is a BAD_REQUEST with its node-keyed errors. */
async function runnableSource(app: App, input: { versionId?: string; graphId?: string; document?: unknown }) {
  try {
    return await resolveSource(app.db, input);
  } catch (e) {
    if (hasErrorCode(e, "GRAPH_INVALID")) throw graphInvalid(e as GraphInvalidError);
    throw e;
  }
}

export const runsRouter = router({
  /** The graph's problems, keyed by node id: data, never an error. */
  validate: protectedProcedure
    .input(z.object({ ...source, overrides: overridesInput }))
    .query(async ({ ctx, input }) => {
      const raw = await rawSource(ctx.app.db, input);
      let doc: unknown = raw.document;
      const hasOverrides = input.overrides.seed !== undefined || input.overrides.set.length > 0;
      if (hasOverrides) {
        const first = validateDocument(doc, registry);
        if (!first.ok)
          return { ok: false, errors: first.errors, warnings: first.warnings, byNode: first.byNode };
        doc = withOverrides(first.document!, input.overrides);
      }
      const v = validateDocument(doc, registry);
      // Model-aware: conditioning from a text encoder the U-Net cannot read (SD 1.x into SDXL, …).
      const pairing = v.document
        ? await modelPairingProblems(v.document, ctx.app.runtime.services.models)
        : [];
      if (pairing.length === 0) return { ok: v.ok, errors: v.errors, warnings: v.warnings, byNode: v.byNode };
      const byNode = { ...v.byNode };
      for (const p of pairing) byNode[p.nodeId ?? ""] = [...(byNode[p.nodeId ?? ""] ?? []), p];
      return { ok: false, errors: [...v.errors, ...pairing], warnings: v.warnings, byNode };
    }),

  /**
   * Queues a run of a saved version or an unsaved document, or a batch of `count` runs with seeds
   * seed…seed+count−1 (or random). Returns the runs' ids and seeds only: "control after run" is the
   * editor's concern, applied by the editor once the server has accepted the runs (as in ComfyUI).
   */
  enqueue: protectedProcedure
    .input(
      z.object({
        ...source,
        overrides: overridesInput,
        batch: z
          .object({
            count: z.number().int().min(1, "at least 1 run").max(16, "at most 16 runs in a batch"),
            seeds: z.enum(["sequential", "random"]).default("sequential"),
          })
          .optional(),
        priority: z.number().int().min(-100).max(100).default(0),
        /**
         * Ids for the runs, one per run (the batch's count), chosen by the client so that it can open
         * `runs.events({ runId, pending: true })` before this answers. Omitted: the server chooses.
         */
        runIds: z.array(clientRunId).min(1).max(16).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const count = input.batch?.count ?? 1;
      if (input.runIds && (input.runIds.length !== count || new Set(input.runIds).size !== count))
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `runIds: ${count} different id${count === 1 ? "" : "s"} expected (one per run), got ${input.runIds.length}`,
        });
      const src = await runnableSource(ctx.app, input);
      const seeds: (bigint | undefined)[] = input.batch
        ? batchSeeds(batchBaseSeed(src.document, input.overrides.seed), count, input.batch.seeds)
        : [input.overrides.seed];
      const runs = planned(() =>
        seeds.map((seed, i) =>
          planRun(src, withOverrides(src.document, { seed, set: input.overrides.set }), {
            overrides: { seed: seed?.toString(), set: input.overrides.set },
            batchIndex: input.batch ? i : null,
            label: input.batch ? `seed=${seed}` : null,
            priority: input.priority,
            ...(input.runIds ? { id: input.runIds[i] } : {}),
          }),
        ),
      );
      return { runs: await enqueueAll(ctx.app, ctx.clientId, runs) };
    }),

  /** The same document again: with the same seed, a random one, or a given one. */
  rerun: protectedProcedure
    .input(
      z.object({
        runId: rowId,
        seed: z.union([z.literal("same"), z.literal("random"), seedInput]).default("same"),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const run = await ctx.app.db.run.findUnique({
        where: { id: input.runId },
        select: { graphId: true, graphVersionId: true, document: true, label: true, priority: true },
      });
      if (!run) throw notFound("run");
      const base = readStored(run.document);
      const seed = input.seed === "same" ? undefined : input.seed === "random" ? randomSeed() : input.seed;
      const plan = planned(() =>
        planRun(run, seed === undefined ? base : withOverrides(base, { seed }), {
          overrides: { rerunOf: input.runId, seed: seed?.toString() },
          label: seed === undefined ? run.label : `seed=${seed}`,
          priority: run.priority,
        }),
      );
      const [queued] = await enqueueAll(ctx.app, ctx.clientId, [plan]);
      return queued;
    }),

  /** A grid over one or two `node.param` axes (≤ 64 cells): one run per cell, sharing a sweepId. */
  sweep: protectedProcedure
    .input(
      z
        .object({
          ...source,
          overrides: overridesInput,
          axes: z
            .array(
              z.object({
                nodeId: z.string().min(1).max(64),
                param: z.string().min(1).max(64),
                values: z.array(paramValue).min(1, "at least one value").max(MAX_SWEEP_CELLS),
              }),
            )
            .min(1, "one or two axes")
            .max(2, "one or two axes"),
        })
        .superRefine((v, c) => {
          const cells = v.axes.reduce((n, a) => n * a.values.length, 1);
          if (cells > MAX_SWEEP_CELLS)
            c.addIssue({
              code: "custom",
              path: ["axes"],
              message: `${cells} cells; a sweep has at most ${MAX_SWEEP_CELLS}`,
            });
        }),
    )
    .mutation(async ({ ctx, input }) => {
      const src = await runnableSource(ctx.app, input);
      const sweepId = `sweep_${nanoid(16)}`;
      const cells: unknown[][] = input.axes.reduce<unknown[][]>(
        (acc, axis) => acc.flatMap((prefix) => axis.values.map((v) => [...prefix, v])),
        [[]],
      );
      const runs = planned(() =>
        cells.map((values) => {
          const set = [
            ...input.overrides.set,
            ...input.axes.map((a, i) => ({ nodeId: a.nodeId, param: a.param, value: values[i] })),
          ];
          const label = cellLabel(input.axes, values);
          return planRun(src, withOverrides(src.document, { seed: input.overrides.seed, set }, "axes"), {
            overrides: { seed: input.overrides.seed?.toString(), set },
            label,
            sweepId,
          });
        }),
      );
      return { sweepId, runs: await enqueueAll(ctx.app, ctx.clientId, runs) };
    }),

  /** Cancels a queued run, or aborts a running one (it ends with a run.cancelled event). */
  cancel: protectedProcedure.input(z.object({ runId: rowId })).mutation(async ({ ctx, input }) => {
    const state = await ctx.app.queue.cancelQueued(input.runId);
    if (state === "missing") throw notFound("run");
    if (state === "running") {
      // A pool run this server took over after a restart is not the worker loop's: the pool cancels it.
      const aborted =
        ctx.app.worker.cancel(input.runId) || (ctx.app.pool?.cancelAdopted(input.runId) ?? false);
      return {
        runId: input.runId,
        state: aborted ? ("cancelling" as const) : ("running-elsewhere" as const),
      };
    }
    return { runId: input.runId, state };
  }),

  /** An interrupted, failed or cancelled run queued again as a new run (retryOfId points back). */
  retry: protectedProcedure.input(z.object({ runId: rowId })).mutation(async ({ ctx, input }) => {
    const run = await ctx.app.db.run.findUnique({
      where: { id: input.runId },
      select: {
        status: true,
        graphId: true,
        graphVersionId: true,
        document: true,
        overrides: true,
        seeds: true,
        label: true,
        batchIndex: true,
        sweepId: true,
        priority: true,
      },
    });
    if (!run) throw notFound("run");
    if (!RETRYABLE.includes(run.status as RunStatus))
      throw new TRPCError({
        code: "BAD_REQUEST",
        message: `a ${run.status} run cannot be retried; only ${RETRYABLE.join(", ")} runs can`,
      });
    const [queued] = await enqueueAll(ctx.app, ctx.clientId, [
      {
        graphId: run.graphId,
        graphVersionId: run.graphVersionId,
        document: run.document,
        overrides: JSON.parse(run.overrides),
        seeds: JSON.parse(run.seeds),
        label: run.label,
        batchIndex: run.batchIndex,
        sweepId: run.sweepId,
        priority: run.priority,
        retryOfId: input.runId,
      },
    ]);
    return queued;
  }),

  /** History, newest first: by graph, status or sweep. */
  list: protectedProcedure
    .input(
      z
        .object({
          graphId: rowId.optional(),
          sweepId: z.string().max(64).optional(),
          status: z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length).optional(),
          cursor: rowId.optional(),
          limit: pageLimit,
        })
        .default({ limit: 30 }),
    )
    .query(async ({ ctx, input }) => {
      const rows = await ctx.app.db.run.findMany({
        where: {
          ...(input.graphId ? { graphId: input.graphId } : {}),
          ...(input.sweepId ? { sweepId: input.sweepId } : {}),
          ...(input.status?.length ? { status: { in: input.status } } : {}),
        },
        orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        take: input.limit + 1,
        ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
        select: runSummarySelect,
      });
      const more = rows.length > input.limit;
      const items = rows.slice(0, input.limit).map(toRunSummary);
      return { items, nextCursor: more ? items[items.length - 1].id : null };
    }),

  get: protectedProcedure.input(z.object({ id: rowId })).query(async ({ ctx, input }) => {
    const run = await ctx.app.db.run.findUnique({ where: { id: input.id }, select: runDetailSelect });
    if (!run) throw notFound("run");
    return toRunDetail(run);
  }),

  /**
   * The run's events: stored ones after `lastEventId`, then live ones (progress with previews),
   * ending after the terminal event. Ids are per-run sequence numbers: a reconnecting client resumes.
   * `pending`: the caller is about to enqueue this id (runs.enqueue's `runIds`), so a run not there
   * yet is waited for (up to PENDING_RUN_WAIT_MS) instead of being NOT_FOUND at once.
   */
  events: protectedProcedure
    .input(
      z.object({ runId: rowId, lastEventId: z.string().max(16).nullish(), pending: z.boolean().optional() }),
    )
    .subscription(({ ctx, input, signal }) =>
      streamRunEvents(ctx.app, input.runId, input.lastEventId, signal, {
        waitMs: input.pending ? PENDING_RUN_WAIT_MS : 0,
      }),
    ),
});
