/** The queue: its state, pause/resume, reordering, and a subscription for the queue view. */
import { z } from "zod";
import type { QueueMessage } from "../../core/queue/delta";
import { notFound } from "../errors";
import { queueFeed } from "../queue/feed";
import { queueState } from "../queue/state";
import { protectedProcedure, router } from "../trpc";
import { rowId } from "./inputs";

export const queueRouter = router({
  state: protectedProcedure.query(({ ctx }) => queueState(ctx.app)),

  /** Running runs finish; nothing new starts until resume. */
  pause: protectedProcedure.mutation(async ({ ctx }) => {
    ctx.app.queue.setPaused(true);
    return queueState(ctx.app);
  }),

  resume: protectedProcedure.mutation(async ({ ctx }) => {
    ctx.app.queue.setPaused(false);
    return queueState(ctx.app);
  }),

  /** Moves a queued run up/down one place or to the top/bottom, or sets its priority (higher runs first). */
  reorder: protectedProcedure
    .input(
      z.union([
        z.object({ runId: rowId, move: z.enum(["up", "down", "top", "bottom"]) }),
        z.object({ runId: rowId, priority: z.number().int().min(-100).max(100) }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      const ok =
        "move" in input
          ? await ctx.app.queue.reorder(input.runId, input.move)
          : await ctx.app.queue.setPriority(input.runId, input.priority);
      if (!ok) throw notFound("queued run");
      return queueState(ctx.app);
    }),

  /**
   * The queue now (a snapshot), then what changed (deltas, coalesced), until the client leaves. One
   * read of the queue per change serves every subscriber (queue/feed.ts); apply with applyQueueMessage.
   */
  events: protectedProcedure.subscription(async function* ({ ctx, signal }): AsyncGenerator<QueueMessage> {
    yield* queueFeed(ctx.app).subscribe(signal);
  }),
});
