/** The default workflows offered by "New from template" (the example documents, bundled statically). */
import forwardProcess from "@/examples/forward-process.json";
import img2img from "@/examples/img2img.json";
import twoStage from "@/examples/two-stage.json";
import txt2img from "@/examples/txt2img.json";
import { type GraphDocument, graphDocumentSchema } from "@/server/engine/document";

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
