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
  /**
   * Where the problem shows in the imported graph: the Petalflow node (and its widget or input) that
   * holds this ComfyUI node's value, or the note left in place of a node that was left out. Absent when
   * the problem has no place on the canvas (e.g. an AUTOMATIC1111 setting).
   */
  at?: { node: string; field?: string } | { note: string };
}

export type ImportSource = "comfy-workflow" | "comfy-prompt" | "a1111-parameters";
