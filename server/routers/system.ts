/** Host statistics and cache control. */
import { z } from "zod";
import { systemStats } from "../system/stats";
import { protectedProcedure, router } from "../trpc";

export const systemRouter = router({
  stats: protectedProcedure.query(({ ctx }) => systemStats(ctx.app)),

  /** Releases every loaded ONNX session (and, if asked, the node output cache). */
  freeModelCache: protectedProcedure
    .input(z.object({ outputs: z.boolean().default(false) }).default({ outputs: false }))
    .mutation(async ({ ctx, input }) => {
      const { sessions } = ctx.app.runtime.services;
      const before = sessions.stats().bytes;
      await sessions.clear();
      const cache = ctx.app.runtime.executor.cache;
      const outputBytes = input.outputs ? cache.stats().bytes : 0;
      if (input.outputs) cache.clear();
      return { freedSessionBytes: before, freedOutputBytes: outputBytes };
    }),
});
