/**
 * What a ComfyUI / AUTOMATIC1111 import could not bring over, handed from the page that imported the
 * file to the editor that opens the new graph (a navigation apart). Kept in this tab's sessionStorage,
 * per graph, until the user dismisses the report, so a reload still shows it.
 */

/** One problem as graphs.import returns it (server/interop/comfy/types.ts ImportProblem). */
export interface ImportProblemView {
  node: string;
  type: string;
  field?: string;
  severity: "error" | "warning";
  message: string;
  at?: { node: string; field?: string } | { note: string };
}

export interface ImportReport {
  source: string;
  problems: ImportProblemView[];
}

const key = (graphId: string) => `petalflow.import-report.${graphId}`;

export function keepImportReport(graphId: string, report: ImportReport): void {
  try {
    sessionStorage.setItem(key(graphId), JSON.stringify(report));
  } catch {
    // storage full or disabled: the import's status message still lists the first problems
  }
}

export function readImportReport(graphId: string): ImportReport | null {
  try {
    const raw = sessionStorage.getItem(key(graphId));
    const r = raw ? (JSON.parse(raw) as ImportReport) : null;
    return r && Array.isArray(r.problems) ? r : null;
  } catch {
    return null;
  }
}

export function dropImportReport(graphId: string): void {
  try {
    sessionStorage.removeItem(key(graphId));
  } catch {
    // nothing kept
  }
}

/** "ComfyUI workflow" / "ComfyUI API prompt" / "AUTOMATIC1111 parameters". */
export function importSourceLabel(source: string): string {
  return source === "comfy-workflow"
    ? "ComfyUI workflow"
    : source === "comfy-prompt"
      ? "ComfyUI API prompt"
      : source === "a1111-parameters"
        ? "AUTOMATIC1111 parameters"
        : source;
}

/** The per-node problems for the canvas: each on the Petalflow node (and widget/input) that shows it. */
export function nodeProblemsOf(report: ImportReport) {
  return report.problems.flatMap((p) =>
    p.at && "node" in p.at
      ? [
          {
            nodeId: p.at.node,
            field: p.at.field,
            code: "import",
            message: `ComfyUI ${p.field ?? p.type}: ${p.message}`,
          },
        ]
      : [],
  );
}

/** The report without the problems shown on `nodeId` (the user edited that node); null when none is left. */
export function withoutNode(report: ImportReport, nodeId: string): ImportReport | null {
  const problems = report.problems.filter((p) => !(p.at && "node" in p.at && p.at.node === nodeId));
  return problems.length ? { ...report, problems } : null;
}
