/** The library: graphs, their immutable versions, the autosaved draft, import and export. */
import { z } from "zod";
import { canonicalJson, emptyDocument, type GraphDocument, LIMITS } from "../../core/graph/document";
import { validateDocument } from "../../core/graph/validate";
import { registry } from "../../nodes/registry";
import type { Prisma, PrismaClient } from "../db/client";
import { notFound } from "../errors";
import { exportComfyPrompt, exportComfyWorkflow } from "../interop/comfy";
import {
  documentInput,
  exportFileName,
  MAX_PNG_BASE64,
  readStored,
  storeForm,
  tagsInput,
} from "../library/documents";
import { createGraph, saveVersion } from "../library/graphs";
import { importJsonText, importPngBase64 } from "../library/import";
import { protectedProcedure, router } from "../trpc";
import { pageLimit, rowId } from "./inputs";
import {
  type GraphSummary,
  graphSummarySelect,
  toGraphSummary,
  toVersionSummary,
  type VersionWithDocument,
  versionSummarySelect,
} from "./responses";

const comfyFormat = z.enum(["api", "workflow"]).default("api");

function comfyExport(doc: GraphDocument, format: "api" | "workflow") {
  if (format === "api") {
    const { prompt, problems } = exportComfyPrompt(doc);
    return { format, prompt, problems };
  }
  const { workflow, json, problems } = exportComfyWorkflow(doc);
  return { format, workflow, json, problems };
}

const graphName = z.string().trim().min(1, "a name is required").max(200, "at most 200 characters");
const description = z.string().max(5000, "at most 5000 characters");
const message = z.string().trim().max(500, "at most 500 characters");

export interface GraphDetail extends GraphSummary {
  /** The head version with its document (null only for a graph that was never saved). */
  headVersion: (VersionWithDocument & { hash: string }) | null;
  /** The autosaved working document, when it differs from the head. */
  draft: { document: GraphDocument; updatedAt: string } | null;
}

/** A graph's problems as data (a save never fails because the graph is unfinished). */
function problemsOf(doc: GraphDocument) {
  return validateDocument(doc, registry).errors.slice(0, 100);
}

async function loadDetail(db: PrismaClient, id: string): Promise<GraphDetail> {
  const g = await db.graph.findUnique({
    where: { id },
    select: {
      ...graphSummarySelect,
      draft: true,
      headVersion: { select: { ...versionSummarySelect, graphId: true, document: true } },
    },
  });
  if (!g) throw notFound("graph");
  const head = g.headVersion;
  return {
    ...toGraphSummary(g),
    headVersion: head
      ? { ...toVersionSummary(head), graphId: head.graphId, document: readStored(head.document) }
      : null,
    draft:
      g.draft && g.draftUpdatedAt
        ? { document: readStored(g.draft), updatedAt: g.draftUpdatedAt.toISOString() }
        : null,
  };
}

async function summary(db: PrismaClient, id: string): Promise<GraphSummary> {
  const g = await db.graph.findUnique({ where: { id }, select: graphSummarySelect });
  if (!g) throw notFound("graph");
  return toGraphSummary(g);
}

/** Runs `fn` and maps Prisma's "record not found" (P2025) to NOT_FOUND. */
async function orNotFound<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if ((e as { code?: unknown }).code === "P2025") throw notFound(what);
    throw e;
  }
}

export const graphsRouter = router({
  list: protectedProcedure
    .input(
      z
        .object({
          search: z.string().trim().max(100).optional(),
          tag: z.string().trim().max(32).optional(),
          archived: z.enum(["active", "archived", "all"]).default("active"),
          sort: z.enum(["updatedAt", "createdAt", "name"]).default("updatedAt"),
          cursor: rowId.optional(),
          limit: pageLimit,
        })
        .default({ archived: "active", sort: "updatedAt", limit: 30 }),
    )
    .query(async ({ ctx, input }) => {
      const where: Prisma.GraphWhereInput = {
        ...(input.search ? { name: { contains: input.search } } : {}),
        ...(input.tag ? { tags: { some: { tag: input.tag.toLowerCase() } } } : {}),
        ...(input.archived === "active"
          ? { archivedAt: null }
          : input.archived === "archived"
            ? { archivedAt: { not: null } }
            : {}),
      };
      const orderBy: Prisma.GraphOrderByWithRelationInput[] =
        input.sort === "name" ? [{ name: "asc" }, { id: "asc" }] : [{ [input.sort]: "desc" }, { id: "desc" }];
      const rows = await ctx.app.db.graph.findMany({
        where,
        orderBy,
        take: input.limit + 1,
        ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
        select: graphSummarySelect,
      });
      const more = rows.length > input.limit;
      const items = rows.slice(0, input.limit).map(toGraphSummary);
      return { items, nextCursor: more ? items[items.length - 1].id : null };
    }),

  /** Every tag in use, with how many graphs carry it. */
  tags: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.app.db.graphTag.groupBy({
      by: ["tag"],
      _count: { tag: true },
      orderBy: { tag: "asc" },
    });
    return rows.map((r) => ({ tag: r.tag, count: r._count.tag }));
  }),

  get: protectedProcedure
    .input(z.object({ id: rowId }))
    .query(({ ctx, input }) => loadDetail(ctx.app.db, input.id)),

  create: protectedProcedure
    .input(
      z.object({
        name: graphName,
        description: description.default(""),
        tags: tagsInput.default([]),
        document: documentInput.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const doc = input.document ?? emptyDocument(input.name);
      const id = await createGraph(ctx.app.db, {
        name: input.name,
        description: input.description,
        tags: input.tags,
        document: storeForm(doc),
      });
      return { graph: await loadDetail(ctx.app.db, id), problems: problemsOf(doc) };
    }),

  /**
   * A new immutable version; an unchanged document creates none and returns the head.
   * `baseVersionId`: the head the editor opened. When the head moved since (a restore or a save
   * elsewhere), the save still happens (nothing is lost: every version stays) but `headMoved` says
   * which version it replaced, so that the editor can tell the user instead of silently undoing it.
   */
  save: protectedProcedure
    .input(
      z.object({
        id: rowId,
        document: documentInput,
        message: message.optional(),
        baseVersionId: rowId.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const stored = storeForm(input.document);
      const { version, headMoved } = await orNotFound("graph", () =>
        ctx.app.db.$transaction(async (tx) => {
          const g = await tx.graph.findUnique({
            where: { id: input.id },
            select: { id: true, headVersion: { select: { id: true, number: true } } },
          });
          if (!g) throw notFound("graph");
          const moved =
            input.baseVersionId && g.headVersion && g.headVersion.id !== input.baseVersionId
              ? { number: g.headVersion.number }
              : null;
          return {
            version: await saveVersion(tx, input.id, stored, input.message ?? null),
            headMoved: moved,
          };
        }),
      );
      return {
        version,
        headMoved,
        graph: await summary(ctx.app.db, input.id),
        problems: problemsOf(input.document),
      };
    }),

  /** Autosave of the working document: never a version. Equal to the head → no draft. */
  saveDraft: protectedProcedure
    .input(z.object({ id: rowId, document: documentInput }))
    .mutation(async ({ ctx, input }) => {
      const stored = storeForm(input.document);
      const g = await ctx.app.db.graph.findUnique({
        where: { id: input.id },
        select: { headVersion: { select: { hash: true } } },
      });
      if (!g) throw notFound("graph");
      const clean = !!g.headVersion && stored.hashes.includes(g.headVersion.hash);
      const updated = await ctx.app.db.graph.update({
        where: { id: input.id },
        data: clean
          ? { draft: null, draftUpdatedAt: null }
          : { draft: stored.json, draftUpdatedAt: new Date() },
        select: { draftUpdatedAt: true },
      });
      return { hasDraft: !clean, draftUpdatedAt: updated.draftUpdatedAt?.toISOString() ?? null };
    }),

  discardDraft: protectedProcedure.input(z.object({ id: rowId })).mutation(async ({ ctx, input }) => {
    await orNotFound("graph", () =>
      ctx.app.db.graph.update({
        where: { id: input.id },
        data: { draft: null, draftUpdatedAt: null },
        select: { id: true },
      }),
    );
    return { id: input.id };
  }),

  versions: protectedProcedure
    .input(z.object({ id: rowId, cursor: z.number().int().min(1).optional(), limit: pageLimit }))
    .query(async ({ ctx, input }) => {
      const g = await ctx.app.db.graph.findUnique({
        where: { id: input.id },
        select: { headVersionId: true },
      });
      if (!g) throw notFound("graph");
      const rows = await ctx.app.db.graphVersion.findMany({
        where: { graphId: input.id, ...(input.cursor ? { number: { lt: input.cursor } } : {}) },
        orderBy: { number: "desc" },
        take: input.limit + 1,
        select: versionSummarySelect,
      });
      const more = rows.length > input.limit;
      const items = rows
        .slice(0, input.limit)
        .map((v) => ({ ...toVersionSummary(v), isHead: v.id === g.headVersionId }));
      return { items, nextCursor: more ? items[items.length - 1].number : null };
    }),

  version: protectedProcedure
    .input(z.object({ versionId: rowId }))
    .query(async ({ ctx, input }): Promise<VersionWithDocument> => {
      const v = await ctx.app.db.graphVersion.findUnique({
        where: { id: input.versionId },
        select: { ...versionSummarySelect, graphId: true, document: true },
      });
      if (!v) throw notFound("version");
      return { ...toVersionSummary(v), graphId: v.graphId, document: readStored(v.document) };
    }),

  /**
   * Makes an older version the head again. Versions are unique per graph by content, so the head
   * points back at that version (no duplicate row); the next save numbers on from the highest.
   * The head is the one source of truth: the graph takes that version's name and, as thumbnail, the
   * latest image a run of that version made (none if it never ran).
   */
  restoreVersion: protectedProcedure
    .input(z.object({ id: rowId, versionId: rowId }))
    .mutation(async ({ ctx, input }) => {
      const version = await ctx.app.db.$transaction(async (tx) => {
        const v = await tx.graphVersion.findFirst({
          where: { id: input.versionId, graphId: input.id },
          select: { document: true, hash: true },
        });
        if (!v) throw notFound("version of this graph");
        const document = readStored(v.document);
        const saved = await saveVersion(
          tx,
          input.id,
          { document, json: v.document, hash: v.hash, hashes: [v.hash] },
          null,
        );
        const image = await tx.artifact.findFirst({
          where: { kind: "image", run: { graphVersionId: input.versionId } },
          orderBy: { createdAt: "desc" },
          select: { id: true },
        });
        const name = document.name.trim().slice(0, 200);
        await tx.graph.update({
          where: { id: input.id },
          data: { thumbnailArtifactId: image?.id ?? null, ...(name ? { name } : {}) },
          select: { id: true },
        });
        return saved;
      });
      return { version, graph: await loadDetail(ctx.app.db, input.id) };
    }),

  rename: protectedProcedure
    .input(z.object({ id: rowId, name: graphName }))
    .mutation(async ({ ctx, input }) => {
      await orNotFound("graph", () =>
        ctx.app.db.graph.update({
          where: { id: input.id },
          data: { name: input.name },
          select: { id: true },
        }),
      );
      return summary(ctx.app.db, input.id);
    }),

  update: protectedProcedure
    .input(z.object({ id: rowId, description: description.optional(), tags: tagsInput.optional() }))
    .mutation(async ({ ctx, input }) => {
      await orNotFound("graph", () =>
        ctx.app.db.graph.update({
          where: { id: input.id },
          data: {
            ...(input.description !== undefined ? { description: input.description } : {}),
            ...(input.tags !== undefined
              ? { tags: { deleteMany: {}, create: input.tags.map((tag) => ({ tag })) } }
              : {}),
          },
          select: { id: true },
        }),
      );
      return summary(ctx.app.db, input.id);
    }),

  /** A new graph from this one's draft (or head), with its tags; history is not copied. */
  duplicate: protectedProcedure
    .input(z.object({ id: rowId, name: graphName.optional() }))
    .mutation(async ({ ctx, input }) => {
      const src = await loadDetail(ctx.app.db, input.id);
      const doc = src.draft?.document ?? src.headVersion?.document ?? emptyDocument(src.name);
      const id = await createGraph(ctx.app.db, {
        name: input.name ?? `${src.name} (copy)`.slice(0, 200),
        description: src.description,
        tags: src.tags,
        document: storeForm(doc),
        message: `copied from "${src.name}"`,
      });
      return summary(ctx.app.db, id);
    }),

  archive: protectedProcedure.input(z.object({ id: rowId })).mutation(async ({ ctx, input }) => {
    await orNotFound("graph", () =>
      ctx.app.db.graph.update({
        where: { id: input.id },
        data: { archivedAt: new Date() },
        select: { id: true },
      }),
    );
    return summary(ctx.app.db, input.id);
  }),

  unarchive: protectedProcedure.input(z.object({ id: rowId })).mutation(async ({ ctx, input }) => {
    await orNotFound("graph", () =>
      ctx.app.db.graph.update({ where: { id: input.id }, data: { archivedAt: null }, select: { id: true } }),
    );
    return summary(ctx.app.db, input.id);
  }),

  /** Deletes the graph, its versions, tags and share links; its runs and images stay in the history. */
  delete: protectedProcedure.input(z.object({ id: rowId })).mutation(async ({ ctx, input }) => {
    await orNotFound("graph", () =>
      ctx.app.db.graph.delete({ where: { id: input.id }, select: { id: true } }),
    );
    return { id: input.id };
  }),

  /** A new graph from our JSON document, or from a PNG saved by Petalflow (base64). */
  import: protectedProcedure
    .input(
      z.object({
        source: z.discriminatedUnion("kind", [
          z.object({ kind: z.literal("json"), text: z.string().min(1).max(LIMITS.maxDocumentBytes) }),
          z.object({ kind: z.literal("png"), base64: z.string().min(1).max(MAX_PNG_BASE64) }),
        ]),
        name: graphName.optional(),
        tags: tagsInput.default([]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      // ComfyUI / AUTOMATIC1111 files are matched against the installed models by name.
      const models = (await ctx.app.runtime.services.models.list()).models.map((m) => m.id);
      const imported =
        input.source.kind === "json"
          ? importJsonText(input.source.text, models)
          : importPngBase64(input.source.base64, models);
      const doc = imported.document;
      const name = input.name ?? (doc.name.trim() || "Imported graph").slice(0, 200);
      const from = imported.foreign ? ` (${imported.foreign.source})` : "";
      const id = await createGraph(ctx.app.db, {
        name,
        description: doc.description,
        tags: input.tags,
        document: storeForm(doc),
        message: (input.source.kind === "png" ? "imported from a PNG" : "imported") + from,
      });
      return {
        graph: await loadDetail(ctx.app.db, id),
        problems: problemsOf(doc),
        /** For a ComfyUI/A1111 import: the source format and, per ComfyUI node, what did not map. */
        foreign: imported.foreign ?? null,
      };
    }),

  /**
   * The head (or a given version) in ComfyUI's API prompt format, or (`format: "workflow"`) its UI
   * workflow format (`workflow`, and `json`: the file's text, with 64-bit seeds exact), with the nodes
   * that do not map.
   */
  exportComfy: protectedProcedure
    .input(z.object({ id: rowId, versionId: rowId.optional(), format: comfyFormat }))
    .query(async ({ ctx, input }) => {
      const g = await ctx.app.db.graph.findUnique({
        where: { id: input.id },
        select: { headVersionId: true },
      });
      if (!g) throw notFound("graph");
      const versionId = input.versionId ?? g.headVersionId;
      const v = versionId
        ? await ctx.app.db.graphVersion.findFirst({
            where: { id: versionId, graphId: input.id },
            select: { document: true },
          })
        : null;
      if (!v) throw notFound("version of this graph");
      return comfyExport(readStored(v.document), input.format);
    }),

  /** The editor's document as it is (saved or not) in either ComfyUI format, as exportComfy. */
  toComfy: protectedProcedure
    .input(z.object({ document: documentInput, format: comfyFormat }))
    .mutation(({ input }) => comfyExport(input.document, input.format)),

  /** The head (or a given version) as a file to download. */
  export: protectedProcedure
    .input(z.object({ id: rowId, versionId: rowId.optional() }))
    .query(async ({ ctx, input }) => {
      const g = await ctx.app.db.graph.findUnique({
        where: { id: input.id },
        select: { name: true, headVersionId: true },
      });
      if (!g) throw notFound("graph");
      const versionId = input.versionId ?? g.headVersionId;
      const v = versionId
        ? await ctx.app.db.graphVersion.findFirst({
            where: { id: versionId, graphId: input.id },
            select: { document: true, number: true },
          })
        : null;
      if (!v) throw notFound("version of this graph");
      return {
        fileName: exportFileName(g.name),
        // Indented for the file (stored rows are compact).
        json: canonicalJson(readStored(v.document)),
        document: readStored(v.document),
        number: v.number,
      };
    }),
});
