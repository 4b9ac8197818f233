/** Input pieces shared by the routers: ids, pagination, seeds. Every string and list is bounded. */
import { z } from "zod";
import { MAX_SEED, parseSeed } from "../../core/node/define";

export const rowId = z
  .string()
  .min(1, "required")
  .max(64, "at most 64 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "not a valid id");

export const pageLimit = z.number().int().min(1).max(100).default(30);

/** A seed as a JSON number (safe integer) or a decimal string up to 2^64 − 1. */
export const seedInput = z
  .union([
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z.string().regex(/^\d{1,20}$/, "digits only"),
  ])
  .transform((v, ctx) => {
    const seed = parseSeed(v);
    if (seed === null) {
      ctx.addIssue({ code: "custom", message: `a seed is an integer from 0 to ${MAX_SEED}` });
      return z.NEVER;
    }
    return seed;
  });

/** A widget value a --set override may give. */
export const paramValue = z.union([z.string().max(4000), z.number().finite(), z.boolean()]);

export const paramSet = z.object({
  nodeId: z.string().min(1).max(64),
  param: z.string().min(1).max(64),
  value: paramValue,
});

export const overridesInput = z
  .object({
    /** Sets every seed widget that is not linked. */
    seed: seedInput.optional(),
    set: z.array(paramSet).max(100).default([]),
  })
  .default({ set: [] });
