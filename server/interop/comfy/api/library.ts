/**
 * Prompts sent to the ComfyUI-compatible API are kept in the library like any graph, so that their
 * runs sit under a graph (runs view, thumbnails) and can be shared (a share is of a version): one graph
 * named "ComfyUI API" (tag `comfyui-api`, made on first use; a new one if the user archived it), each
 * distinct prompt one version of it (an identical prompt reuses its version, as saving does).
 */

import type { GraphDocument } from "../../../../core/graph/document";
import type { App } from "../../../app";
import { storeForm } from "../../../library/documents";
import { createGraph, saveVersion } from "../../../library/graphs";

export const COMFY_GRAPH_TAG = "comfyui-api";
export const COMFY_GRAPH_NAME = "ComfyUI API";

// One at a time in this process: two first prompts must not make two graphs.
let chain: Promise<unknown> = Promise.resolve();

export function comfyGraphVersion(
  app: App,
  /** Named COMFY_GRAPH_NAME by the caller: the run stores exactly this document (shares match on it). */
  document: GraphDocument,
  clientId: string,
): Promise<{ graphId: string; graphVersionId: string }> {
  const next = chain.then(async () => {
    const stored = storeForm(document);
    const message = `ComfyUI API prompt${clientId ? ` from client ${clientId}` : ""}`;
    const graph = await app.db.graph.findFirst({
      where: { archivedAt: null, tags: { some: { tag: COMFY_GRAPH_TAG } } },
      orderBy: { createdAt: "asc" },
      select: { id: true },
    });
    if (!graph) {
      const graphId = await createGraph(app.db, {
        name: COMFY_GRAPH_NAME,
        description:
          "Prompts sent to the ComfyUI-compatible API (PETALFLOW_COMFY_PORT); one version per distinct prompt.",
        tags: [COMFY_GRAPH_TAG],
        document: stored,
        message,
      });
      const head = await app.db.graph.findUniqueOrThrow({
        where: { id: graphId },
        select: { headVersionId: true },
      });
      return { graphId, graphVersionId: head.headVersionId! };
    }
    const saved = await app.db.$transaction((tx) => saveVersion(tx, graph.id, stored, message));
    return { graphId: graph.id, graphVersionId: saved.id };
  });
  chain = next.catch(() => undefined);
  return next;
}
