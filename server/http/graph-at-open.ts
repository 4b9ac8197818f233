/**
 * The graph page's server-side read: /graphs/[id] reads the graph while the page renders and hands it
 * to the editor with the page, so that opening a graph waits on no request made after the page's
 * JavaScript has loaded and hydrated.
 *
 * It is the API's own read: the same `graphs.get` procedure (its zod input, its token check), behind
 * the same local-request guard as /api/trpc, as the response's JSON text (no transformer: what the
 * client would have received). One string, not the object: the page carries it as text, which the
 * browser parses once, instead of React serializing the graph object by object. Anything the API would
 * refuse or fail gives null, and the editor then asks /api/trpc as before, which answers with the error
 * the user always saw (a missing graph, a bad id, the token dialog).
 */
import { randomUUID } from "node:crypto";
import type { GraphAtOpen } from "../../core/graph/at-open";
import type { App } from "../app";
import { createContext } from "../context";
import { createCaller } from "../routers/_app";
import type { GraphDetail } from "../routers/graphs";
import { guardLocalRequest } from "./guard";

export type { GraphAtOpen };

/**
 * The largest read the page carries (JSON characters; a 500-node graph's answer, draft and head, is
 * ≈ 0.3 M). A bigger one holds the HTML back more than the request after hydration costs — a 2,000-node
 * graph (≈ 1.2 M) opened 1.2× slower from the page (t18c2's A/B) — so the editor asks for it instead.
 */
export const GRAPH_AT_OPEN_MAX_CHARS = 512 * 1024;

export async function readGraphAtOpen(
  app: App,
  id: string,
  headers: Headers,
  maxChars = GRAPH_AT_OPEN_MAX_CHARS,
): Promise<GraphAtOpen | null> {
  // The page's own request, as the API would see it (Host, Origin, token cookie, client id).
  const req = new Request("http://petalflow.local/", { headers });
  if (guardLocalRequest(app.env, req)) return null;
  try {
    const caller = createCaller(await createContext({ req, app }));
    const graph = (await caller.graphs.get({ id })) as GraphDetail;
    const json = JSON.stringify(graph);
    return json.length > maxChars ? null : { readId: randomUUID(), graphId: graph.id, json };
  } catch {
    return null;
  }
}
