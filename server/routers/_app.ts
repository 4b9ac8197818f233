/** The API: every router by resource. The editor imports `type AppRouter` only. */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { createCallerFactory, router } from "../trpc";
import { modelsRouter, nodesRouter } from "./catalog";
import { graphsRouter } from "./graphs";
import { queueRouter } from "./queue";
import { runsRouter } from "./runs";
import { sharesRouter } from "./shares";
import { systemRouter } from "./system";

export const appRouter = router({
  nodes: nodesRouter,
  models: modelsRouter,
  system: systemRouter,
  graphs: graphsRouter,
  runs: runsRouter,
  queue: queueRouter,
  shares: sharesRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** Server-side calls: `createCaller(createContextInner({ app }))`. */
export const createCaller = createCallerFactory(appRouter);
