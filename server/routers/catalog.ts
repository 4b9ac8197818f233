/** What the canvas draws from: node declarations (functions stripped), socket types, samplers, models. */

import { z } from "zod";
import { DOCUMENT_FORMAT, DOCUMENT_FORMAT_VERSION, LIMITS } from "../../core/graph/document";
import type { NodeDefinition } from "../../core/node/define";
import { SOCKET_COLORS, SOCKET_TYPES } from "../../core/node/sockets";
import { SCHEDULER_NAMES } from "../../core/schedulers/names";
import { NODE_DEFINITIONS } from "../../nodes/registry";
import { familyLabel } from "../diffusion/family";
import { protectedProcedure, router } from "../trpc";

/** A node declaration as JSON: everything but the functions (parameter migrations and checks). */
export type NodeDeclaration = Omit<NodeDefinition, "migrations" | "checkParams">;

function declaration(def: NodeDefinition): NodeDeclaration {
  const { migrations: _migrations, checkParams: _checkParams, ...rest } = def;
  // A JSON round trip guarantees nothing else non-serialisable slips through.
  return JSON.parse(JSON.stringify(rest)) as NodeDeclaration;
}

const catalog = {
  nodes: NODE_DEFINITIONS.map(declaration),
  sockets: SOCKET_TYPES.map((type) => ({ type, color: SOCKET_COLORS[type] })),
  schedulers: [...SCHEDULER_NAMES],
  document: { format: DOCUMENT_FORMAT, formatVersion: DOCUMENT_FORMAT_VERSION, limits: LIMITS },
};

export const nodesRouter = router({
  catalog: protectedProcedure.query(() => catalog),
});

export const modelsRouter = router({
  /** Usable model folders, and the reasons others cannot be used. `refresh` rescans the folder. */
  list: protectedProcedure
    .input(z.object({ refresh: z.boolean().default(false) }).default({ refresh: false }))
    .query(async ({ ctx, input }) => {
      const lib = ctx.app.runtime.services.models;
      const scan = await (input.refresh ? lib.refresh() : lib.list());
      return {
        models: scan.models.map((m) => ({
          id: m.id,
          parts: Object.fromEntries(Object.entries(m.parts).map(([part, p]) => [part, { bytes: p.bytes }])),
          totalBytes: m.totalBytes,
          latentChannels: m.latentChannels,
          /** Detected family (sd1, sd2, sd2-v, sdxl, sdxl-refiner) and traits, e.g. "sdxl · turbo". */
          family: m.family,
          inpaint: m.inpaint,
          fewStep: m.fewStep,
          familyLabel: familyLabel(m),
          defaultImageSize: m.defaultImageSize,
          predictionType: m.predictionType,
          schedulerClass: m.schedulerClass,
          /** The raw scheduler_config.json, so the canvas can plot the model's own β schedule. */
          schedulerConfig: m.schedulerConfig as Record<string, unknown> | null,
          canEncode: m.parts.vae_encoder !== undefined,
          warnings: m.warnings,
        })),
        problems: scan.problems.map((p) => ({ id: p.id, reason: p.reason })),
      };
    }),
});
