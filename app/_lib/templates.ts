/** The default workflows offered by "New from template" (the example documents, bundled statically). */

import { canonicalJson, emptyDocument, type GraphDocument, graphDocumentSchema } from "@/core/graph/document";
import forwardProcess from "@/examples/forward-process.json";
import img2img from "@/examples/img2img.json";
import twoStage from "@/examples/two-stage.json";
import txt2img from "@/examples/txt2img.json";

export interface Template {
  id: string;
  title: string;
  description: string;
  document: GraphDocument;
}

function template(id: string, raw: unknown): Template {
  const document = graphDocumentSchema.parse(raw);
  return { id, title: document.name, description: document.description, document };
}

export const TEMPLATES: readonly Template[] = [
  template("txt2img", txt2img),
  template("img2img", img2img),
  template("two-stage", twoStage),
  template("forward-process", forwardProcess),
];

/** The graph a first visit opens, as ComfyUI opens its default workflow. */
export const DEFAULT_TEMPLATE_ID = "txt2img";

/** A fresh copy of a template's document, or an empty graph for `null` (or an unknown id). */
export function newDocument(templateId: string | null): GraphDocument {
  const t = TEMPLATES.find((x) => x.id === templateId);
  return t ? structuredClone(t.document) : emptyDocument("Untitled");
}

/** The template a document is an unchanged copy of, if any. */
export function templateOf(doc: GraphDocument): Template | null {
  const json = canonicalJson(doc);
  return TEMPLATES.find((t) => canonicalJson(t.document) === json) ?? null;
}

/** What the status line says when a template is opened as it is. */
export function templateNotice(doc: GraphDocument): string | null {
  const t = templateOf(doc);
  if (!t) return null;
  return `“${t.title}”, ready to run: press ▶ Run (Ctrl+Enter). It enters the library when you save it (Ctrl+S).`;
}
