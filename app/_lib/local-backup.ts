/**
 * A copy of the working document in localStorage, written on every change (debounced) and on unload,
 * so a closed tab, a reload or a server that is down never loses an edit. Keyed by graph id ("new" for
 * a graph not saved yet).
 */
import { type GraphDocument, graphDocumentSchema } from "@/core/graph/document";

export interface Backup {
  document: GraphDocument;
  savedAt: number;
  /** The server's head version when the edit began, to tell a stale backup from a newer one. */
  baseVersionId: string | null;
}

const key = (graphId: string | null) => `petalflow:backup:${graphId ?? "new"}`;

export function writeBackup(graphId: string | null, backup: Backup) {
  try {
    localStorage.setItem(key(graphId), JSON.stringify(backup));
  } catch {
    // quota or private mode: the server draft still has it
  }
}

export function readBackup(graphId: string | null): Backup | null {
  try {
    const text = localStorage.getItem(key(graphId));
    if (!text) return null;
    const raw = JSON.parse(text) as Backup;
    const doc = graphDocumentSchema.safeParse(raw.document);
    if (!doc.success || typeof raw.savedAt !== "number") return null;
    return { document: doc.data, savedAt: raw.savedAt, baseVersionId: raw.baseVersionId ?? null };
  } catch {
    return null;
  }
}

export function clearBackup(graphId: string | null) {
  try {
    localStorage.removeItem(key(graphId));
  } catch {
    // ignore
  }
}

const runsKey = (graphId: string | null) => `petalflow:runs:${graphId ?? "new"}`;

/** The runs a never-saved graph queued last, so that a reload can follow them again (a saved graph asks the server). */
export function writeRecentRuns(graphId: string | null, runIds: string[]) {
  try {
    localStorage.setItem(runsKey(graphId), JSON.stringify(runIds.slice(-16)));
  } catch {
    // ignore: only the live progress after a reload is lost, History keeps the run
  }
}

export function readRecentRuns(graphId: string | null): string[] {
  try {
    const raw = JSON.parse(localStorage.getItem(runsKey(graphId)) ?? "[]") as unknown;
    return Array.isArray(raw) ? raw.filter((x): x is string => typeof x === "string").slice(-16) : [];
  } catch {
    return [];
  }
}

export function clearRecentRuns(graphId: string | null) {
  try {
    localStorage.removeItem(runsKey(graphId));
  } catch {
    // ignore
  }
}
