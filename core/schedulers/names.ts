/** Sampler names shown in the Scheduler node's dropdown (client-safe; `index.ts` maps them to classes). */
export const SCHEDULER_NAMES = [
  "ddim",
  "ddpm",
  "euler",
  "euler-karras",
  "euler-ancestral",
  "heun",
  "dpmpp-2m",
  "dpmpp-2m-karras",
  "lms",
  "lms-karras",
  "lcm",
  "pndm",
] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];
