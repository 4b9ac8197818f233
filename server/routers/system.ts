/** Host statistics and cache control. */
import { z } from "zod";
import { systemStats } from "../system/stats";
import { protectedProcedure, router } from "../trpc";

export const systemRouter = router({
  /**
   * Does nothing: the round trip of the cheapest API call (HTTP, Next's routing, tRPC, the context),
   * the floor under every other call's time (bench/server-path.ts prints it).
   */
  ping: protectedProcedure.query(() => ({ ok: true as const })),

  stats: protectedProcedure.query(({ ctx }) => systemStats(ctx.app)),

  /** The worker pool's workers (PETALFLOW_REDIS_URL): alive ones and those that stopped heartbeating. */
  workers: protectedProcedure.query(async ({ ctx }) => ({
    pool: ctx.app.pool !== null,
    workers: ctx.app.pool ? await ctx.app.pool.workers() : [],
  })),

  /** Releases every loaded ONNX session (and, if asked, the node output cache). */
  freeModelCache: protectedProcedure
    .input(z.object({ outputs: z.boolean().default(false) }).default({ outputs: false }))
    .mutation(({ ctx, input }) => ctx.app.runner.free({ outputs: input.outputs })),
});
