/**
 * Share links: a random token (nanoid(32), ~190 bits) that reads ONE graph version and its images,
 * read-only. `get` is the only procedure open without the access token.
 */
import { nanoid } from "nanoid";
import { z } from "zod";
import { storedJson } from "../../core/graph/document";
import type { PrismaClient } from "../db/client";
import { notFound } from "../errors";
import { readStored, storeForm } from "../library/documents";
import { createGraph } from "../library/graphs";
import { protectedProcedure, publicProcedure, router } from "../trpc";
import { rowId } from "./inputs";
import { artifactSelect, toArtifact } from "./responses";

const token = z
  .string()
  .min(20)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "not a share token");

/** An active share by token, or NOT_FOUND (unknown, revoked and expired look the same). */
async function activeShare(db: PrismaClient, t: string) {
  const share = await db.share.findUnique({
    where: { token: t },
    select: {
      id: true,
      revokedAt: true,
      expiresAt: true,
      graphName: true,
      graphVersion: {
        select: {
          id: true,
          number: true,
          document: true,
          createdAt: true,
          graph: { select: { name: true } },
        },
      },
    },
  });
  if (!share || share.revokedAt || (share.expiresAt && share.expiresAt.getTime() <= Date.now()))
    throw notFound("share link");
  return share;
}

/**
 * Images a share may show: made by runs of that version whose document is exactly the version's
 * (same stored text, so same hash). Runs with overrides, sweep cells and batch items with moved
 * seeds ran another document — their PNGs embed it (a private prompt) — and stay private.
 */
export function sharedImagesWhere(v: { id: string; document: string }) {
  // A version saved before documents were stored compact: its runs since then stored the compact form.
  const forms = [v.document, storedJson(readStored(v.document))];
  return { kind: "image", run: { graphVersionId: v.id, document: { in: forms } } } as const;
}

export const sharesRouter = router({
  create: protectedProcedure
    .input(
      z.object({
        versionId: rowId,
        /** Days until the link stops working; none: no expiry. */
        expiresInDays: z.number().min(0.01).max(3650).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const v = await ctx.app.db.graphVersion.findUnique({
        where: { id: input.versionId },
        select: { graph: { select: { name: true } } },
      });
      if (!v) throw notFound("version");
      const share = await ctx.app.db.share.create({
        data: {
          token: nanoid(32),
          graphVersionId: input.versionId,
          // What is shared is fixed now: a later rename of the graph does not show through the link.
          graphName: v.graph.name,
          expiresAt: input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null,
        },
        select: { id: true, token: true, expiresAt: true, createdAt: true },
      });
      return {
        id: share.id,
        token: share.token,
        path: `/share/${share.token}`,
        createdAt: share.createdAt.toISOString(),
        expiresAt: share.expiresAt?.toISOString() ?? null,
      };
    }),

  revoke: protectedProcedure.input(z.object({ id: rowId })).mutation(async ({ ctx, input }) => {
    const { count } = await ctx.app.db.share.updateMany({
      where: { id: input.id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (!count && !(await ctx.app.db.share.count({ where: { id: input.id } }))) throw notFound("share link");
    return { id: input.id, revoked: true };
  }),

  /** The links of a graph (all its versions), newest first, revoked and expired included. */
  list: protectedProcedure.input(z.object({ graphId: rowId })).query(async ({ ctx, input }) => {
    const rows = await ctx.app.db.share.findMany({
      where: { graphVersion: { graphId: input.graphId } },
      orderBy: { createdAt: "desc" },
      take: 200,
      select: {
        id: true,
        token: true,
        createdAt: true,
        expiresAt: true,
        revokedAt: true,
        viewCount: true,
        graphVersion: { select: { id: true, number: true } },
      },
    });
    const now = Date.now();
    return rows.map((s) => ({
      id: s.id,
      token: s.token,
      path: `/share/${s.token}`,
      versionId: s.graphVersion.id,
      versionNumber: s.graphVersion.number,
      createdAt: s.createdAt.toISOString(),
      expiresAt: s.expiresAt?.toISOString() ?? null,
      revokedAt: s.revokedAt?.toISOString() ?? null,
      active: !s.revokedAt && !(s.expiresAt && s.expiresAt.getTime() <= now),
      viewCount: s.viewCount,
    }));
  }),

  /**
   * PUBLIC. The shared version's document, the graph's name when the link was made, and the latest
   * images made from exactly that document (sharedImagesWhere); counts a view. Nothing else about the
   * library is reachable from a token.
   */
  get: publicProcedure.input(z.object({ token })).query(async ({ ctx, input }) => {
    const share = await activeShare(ctx.app.db, input.token);
    const v = share.graphVersion;
    const [images] = await Promise.all([
      ctx.app.db.artifact.findMany({
        where: sharedImagesWhere(v),
        orderBy: { createdAt: "desc" },
        take: 24,
        select: artifactSelect,
      }),
      ctx.app.db.share.update({ where: { id: share.id }, data: { viewCount: { increment: 1 } } }),
    ]);
    const suffix = `?share=${encodeURIComponent(input.token)}`;
    return {
      // Links made before the name was kept show the graph's current name.
      graphName: share.graphName ?? v.graph.name,
      versionNumber: v.number,
      createdAt: v.createdAt.toISOString(),
      document: readStored(v.document),
      images: images.map((a) => {
        const { runId: _runId, ...info } = toArtifact(a, suffix);
        return info;
      }),
    };
  }),

  /** Copies the shared version into this library as a new graph (needs the access token). */
  copyToLibrary: protectedProcedure
    .input(z.object({ token, name: z.string().trim().min(1).max(200).optional() }))
    .mutation(async ({ ctx, input }) => {
      const share = await activeShare(ctx.app.db, input.token);
      const doc = readStored(share.graphVersion.document);
      const id = await createGraph(ctx.app.db, {
        name: input.name ?? share.graphName ?? share.graphVersion.graph.name,
        description: doc.description,
        document: storeForm(doc),
        message: "copied from a share link",
      });
      return { graphId: id };
    }),
});
