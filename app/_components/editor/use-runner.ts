"use client";
/**
 * Running the graph from the editor: enqueue the current document (or a batch), show the server's
 * node-keyed problems on the nodes, move seeds on as "control after run" says ONLY once the server
 * accepted the run (and back if it fails: app/_lib/seed-control.ts), and follow the runs' events into
 * the run store.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef } from "react";
import { graphErrorsOf } from "@/app/_lib/api-errors";
import type { EditorStore } from "@/app/_lib/editor-store";
import { readRecentRuns, writeRecentRuns } from "@/app/_lib/local-backup";
import { type FollowedEvent, RunFollower } from "@/app/_lib/run-follower";
import type { RunStore } from "@/app/_lib/run-store";
import { type SeedMove, seedsAfterRun, seedsBack } from "@/app/_lib/seed-control";
import { errorMessage, useTRPC, useTRPCClient } from "@/app/_lib/trpc";
import type { ValidationStore } from "@/app/_lib/validation-store";
import type { GraphDocument } from "@/core/graph/document";

interface Options {
  store: EditorStore;
  runs: RunStore;
  validation: ValidationStore;
  graphId: string | null;
  /** `about`: the nodes a message concerns; it goes away when they are deleted. */
  notify(message: string, kind?: "info" | "error", about?: string[]): void;
  /** Called with the ids of runs queued together (a batch or sweep), for the results grid. */
  onQueued?(runIds: string[], label: string): void;
}

/** A run id for runs.enqueue's `runIds`: 128 random bits, base64url (getRandomValues: any origin). */
function newRunId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export interface QueuedRun {
  id: string;
  seeds: Record<string, string>;
  label: string | null;
}

export function useRunner(opts: Options) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const optsRef = useRef(opts);
  optsRef.current = opts;
  /** Seed moves of queued runs, by run id; put back if every run they were made for fails. */
  const seedMoves = useRef(new Map<string, { moves: SeedMove[]; runIds: Set<string>; failed: number }>());

  /**
   * Runs followed before their enqueue answered, with their end when it came first (a fully cached run
   * can end before the answer): that end is handled after the answer, once their seeds have moved, so
   * that a failed run still puts its seeds back and "Queued with seed …" does not outlive the run.
   */
  const unanswered = useRef(new Map<string, FollowedEvent | null>());

  const { follower, ended } = useMemo(() => {
    const ended = (e: FollowedEvent) => {
      void queryClient.invalidateQueries({ queryKey: trpc.runs.pathKey() });
      const moved = seedMoves.current.get(e.runId);
      seedMoves.current.delete(e.runId);
      if (moved && e.type === "run.failed" && ++moved.failed === moved.runIds.size) {
        const { store } = optsRef.current;
        store.moveSeeds(seedsBack(moved.moves, store.toDocument()));
      }
      // The end of a run replaces "Queued with seed …", which would otherwise stay after it.
      if (e.type === "run.failed")
        optsRef.current.notify(
          `Run failed: ${e.error.message}`,
          "error",
          e.error.nodeId ? [e.error.nodeId] : undefined,
        );
      else if (e.type === "run.finished")
        optsRef.current.notify(`Run finished in ${(e.ms / 1000).toFixed(1)} s`);
      else if (e.type === "run.cancelled") optsRef.current.notify("Run cancelled");
      else if (e.type === "run.interrupted") optsRef.current.notify(`Run interrupted: ${e.message}`, "error");
    };
    const follower = new RunFollower(
      {
        subscribe: (runId, handlers, o) =>
          client.runs.events.subscribe(
            { runId, ...(o?.pending ? { pending: true } : {}) },
            { onData: (e) => handlers.onData(e.data as FollowedEvent), onError: handlers.onError },
          ),
      },
      opts.runs,
      (e) => {
        if (unanswered.current.has(e.runId)) unanswered.current.set(e.runId, e);
        else ended(e);
      },
    );
    return { follower, ended };
  }, [client, opts.runs, queryClient, trpc]);

  /** The enqueue of `ids` answered (and its seeds moved): ends that came before it are handled now. */
  const answered = (ids: string[]) => {
    for (const id of ids) {
      const early = unanswered.current.get(id);
      unanswered.current.delete(id);
      if (early) ended(early);
    }
  };
  useEffect(() => () => follower.stop(), [follower]);

  /** A never-saved graph's runs are remembered in this browser, for a reload to follow them again. */
  const remember = (runIds: string[]) => {
    if (!optsRef.current.graphId) writeRecentRuns(null, runIds);
  };

  /**
   * After a reload or on opening a graph: follow again the runs still queued or running for it (a
   * saved graph asks the server; a never-saved one, this browser), so their progress and images show.
   */
  const resume = useCallback(async () => {
    const { graphId } = optsRef.current;
    let ids: string[];
    if (graphId) {
      const list = await client.runs.list.query({ graphId, status: ["queued", "running"], limit: 16 });
      ids = list.items.map((r) => r.id).reverse(); // oldest first: the queue's order
    } else {
      const recent = readRecentRuns(null);
      const states = await Promise.all(
        recent.map((id) =>
          client.runs.get.query({ id }).then(
            (r) => r.status,
            () => null,
          ),
        ),
      );
      const active = recent.filter((_, i) => states[i] === "queued" || states[i] === "running");
      // None left: replay the last one, which shows its images again.
      const last = recent.filter((_, i) => states[i] !== null).slice(-1);
      ids = active.length ? active : last;
    }
    if (ids.length) follower.follow(ids.map((id) => ({ id })));
    return ids.length;
  }, [client, follower]);

  /** Problems from a refused run go onto the nodes and fields they concern. */
  const showProblems = (e: unknown): boolean => {
    const errors = graphErrorsOf(e);
    if (!errors) return false;
    optsRef.current.validation.set(errors);
    const first = errors[0];
    optsRef.current.notify(
      `The graph cannot run: ${errors.length} problem${errors.length === 1 ? "" : "s"}${first ? ` — ${first.message}` : ""}`,
      "error",
      errors.flatMap((x) => (x.nodeId ? [x.nodeId] : [])),
    );
    return true;
  };

  /**
   * Queues the editor's document (or `from`, a past run's document) once or as a batch of seeds.
   * Only a run of the editor's own document moves the editor's seeds on.
   */
  const enqueue = async (
    batch?: { count: number; seeds: "sequential" | "random" },
    from?: GraphDocument,
  ): Promise<QueuedRun[] | null> => {
    const { store, validation, graphId, notify } = optsRef.current;
    const sent = from ?? store.toDocument();
    // The runs' ids are chosen here, so that the first run's event stream opens now, alongside the
    // enqueue request, and is already listening when the run starts (instead of one more round trip
    // after the answer: the first progress came ≈ 10 U-Net steps after the click that way).
    const runIds = Array.from({ length: batch?.count ?? 1 }, newRunId);
    for (const id of runIds) unanswered.current.set(id, null);
    follower.follow(runIds.map((id) => ({ id, pending: true })));
    try {
      const res = await client.runs.enqueue.mutate({
        document: sent,
        graphId: graphId ?? undefined,
        ...(batch ? { batch } : {}),
        runIds,
      });
      follower.planned(res.runs);
      validation.set([]);
      if (!from) {
        // Accepted: now (not before) the seeds move on for the next run, as ComfyUI does after queueing.
        const moves = seedsAfterRun(sent, store.toDocument(), res.runs.length);
        store.moveSeeds(moves);
        const entry = { moves, runIds: new Set(res.runs.map((r) => r.id)), failed: 0 };
        if (moves.length) for (const id of entry.runIds) seedMoves.current.set(id, entry);
      }
      remember(res.runs.map((r) => r.id));
      // No queue refetch here: the queue panel's live feed (queue.events) already brings the new runs,
      // and a refetch would read the queue on the server just as the run starts.
      const seeds = [...new Set(res.runs.flatMap((r) => Object.values(r.seeds)))];
      notify(
        res.runs.length === 1
          ? `Queued${seeds.length ? ` with seed ${seeds.join(", ")}` : ""}`
          : `Queued ${res.runs.length} runs`,
      );
      if (res.runs.length > 1)
        optsRef.current.onQueued?.(
          res.runs.map((r) => r.id),
          `${res.runs.length} seeds`,
        );
      answered(runIds);
      return res.runs;
    } catch (e) {
      for (const id of runIds) unanswered.current.delete(id);
      follower.forget(runIds);
      if (!showProblems(e)) notify(`Could not queue the run: ${errorMessage(e)}`, "error");
      return null;
    }
  };

  const sweep = async (
    axes: { nodeId: string; param: string; values: (string | number | boolean)[] }[],
    label: string,
    from?: GraphDocument,
  ) => {
    const { store, graphId, notify, validation } = optsRef.current;
    try {
      const res = await client.runs.sweep.mutate({
        document: from ?? store.toDocument(),
        graphId: graphId ?? undefined,
        axes,
      });
      validation.set([]);
      follower.follow(res.runs);
      remember(res.runs.map((r) => r.id));
      notify(`Queued a sweep of ${res.runs.length} runs (${label})`);
      return res.runs.map((r) => r.id);
    } catch (e) {
      if (!showProblems(e)) notify(`Could not queue the sweep: ${errorMessage(e)}`, "error");
      return null;
    }
  };

  const rerun = async (runId: string, seed: "same" | "random") => {
    try {
      const r = await client.runs.rerun.mutate({ runId, seed });
      follower.follow([r]);
      remember([r.id]);
      optsRef.current.notify(`Queued a rerun${r.label ? ` (${r.label})` : ""}`);
    } catch (e) {
      optsRef.current.notify(`Could not rerun: ${errorMessage(e)}`, "error");
    }
  };

  const validate = async () => {
    const { store, validation, notify } = optsRef.current;
    try {
      const r = await client.runs.validate.query({ document: store.toDocument() });
      validation.set(r.errors);
      notify(r.ok ? "The graph is valid" : `${r.errors.length} problem(s) found`, r.ok ? "info" : "error");
    } catch (e) {
      notify(`Could not validate: ${errorMessage(e)}`, "error");
    }
  };

  return {
    enqueue,
    sweep,
    rerun,
    validate,
    follow: (ids: string[]) => follower.follow(ids.map((id) => ({ id }))),
    resume,
  };
}
