/** The default workflows offered by "New from template" (the example documents, bundled statically). */

import { canonicalJson, emptyDocument, type GraphDocument, graphDocumentSchema } from "@/core/graph/document";
import forwardProcess from "@/examples/forward-process.json";
import img2img from "@/examples/img2img.json";
import inpaintModel from "@/examples/inpaint-model.json";
import inpaintNoiseMask from "@/examples/inpaint-noise-mask.json";
import sdxlBaseRefiner from "@/examples/sdxl-base-refiner.json";
import sdxlTurbo from "@/examples/sdxl-turbo.json";
import sdxlTxt2img from "@/examples/sdxl-txt2img.json";
import twoStage from "@/examples/two-stage.json";
import txt2img from "@/examples/txt2img.json";

export interface Template {
  id: string;
  title: string;
  description: string;
  document: GraphDocument;
  /**
   * Model kinds the template needs ("sdxl", "sdxl-refiner", "turbo", "inpaint", as the Model Loader
   * detects them): it is offered once such a model is installed. None: it runs on the demo model.
   */
  needs?: readonly string[];
}

function template(id: string, raw: unknown, needs?: readonly string[]): Template {
  const document = graphDocumentSchema.parse(raw);
  return { id, title: document.name, description: document.description, document, needs };
}

export const TEMPLATES: readonly Template[] = [
  template("txt2img", txt2img),
  template("img2img", img2img),
  template("two-stage", twoStage),
  template("forward-process", forwardProcess),
  template("inpaint-noise-mask", inpaintNoiseMask),
  template("sdxl-txt2img", sdxlTxt2img, ["sdxl"]),
  template("sdxl-base-refiner", sdxlBaseRefiner, ["sdxl", "sdxl-refiner"]),
  template("sdxl-turbo", sdxlTurbo, ["turbo"]),
  template("inpaint-model", inpaintModel, ["inpaint"]),
];

/**
 * The templates to offer, given the installed models' family labels ("sdxl", "sd1 · inpaint",
 * "sdxl · turbo"): those that need nothing, and those whose every need some installed model meets.
 */
export function offeredTemplates(familyLabels: readonly string[] | undefined): Template[] {
  const kinds = (familyLabels ?? []).map((l) => l.split(" · "));
  return TEMPLATES.filter((t) => (t.needs ?? []).every((need) => kinds.some((k) => k.includes(need))));
}

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
