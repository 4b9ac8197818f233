/** What an import reports besides the document. */

export interface ImportProblem {
  /** The ComfyUI node id ("parameters" for an AUTOMATIC1111 text). */
  node: string;
  /** Its ComfyUI class_type. */
  type: string;
  /** The widget or input concerned, when there is one. */
  field?: string;
  /** "error": something was not brought over (the node or value needs attention); "warning": approximated. */
  severity: "error" | "warning";
  message: string;
}

export type ImportSource = "comfy-workflow" | "comfy-prompt" | "a1111-parameters";
