/**
 * The executor's event stream: a stable public contract consumed by the server (tRPC subscription,
 * run history) and the CLI (`--json` prints one event per line).
 */
export type NodeStatus = "ran" | "cached" | "failed" | "skipped";

export interface FileOutput {
  /** Where the file was written (CLI: a path; server: an artifact id/URL). */
  path: string;
  kind: "image" | "latent";
  width?: number;
  height?: number;
  seed?: string;
  /** Artifact id when the server stored it. */
  artifactId?: string;
  sha256?: string;
  /**
   * A small image itself, as a data: URL: only in the server's live event stream (never stored, never
   * replayed), so that the editor shows it without one more request. The artifact stays the image.
   */
  inline?: string;
}

export interface PreviewImage {
  width: number;
  height: number;
  /** A small PNG as a data: URL. */
  dataUrl: string;
}

export interface RunError {
  message: string;
  nodeId?: string;
  nodeType?: string;
  code?: string;
}

export type RunEvent =
  | { type: "run.started"; runId: string; at: number; plan: string[] }
  | { type: "node.started"; runId: string; nodeId: string; nodeType: string }
  | {
      type: "node.cached";
      runId: string;
      nodeId: string;
      nodeType: string;
      /** Seeds the cached output was made with (Noise nodes), as decimal strings. */
      seeds?: string[];
    }
  /**
   * Something the user should know that does not fail the node (a prompt cut at 77 tokens, a model or
   * scheduler config value ignored). A cached node repeats the warnings it had when it ran (`cached`).
   */
  | {
      type: "node.warning";
      runId: string;
      nodeId: string;
      nodeType: string;
      message: string;
      cached?: boolean;
    }
  | {
      type: "node.progress";
      runId: string;
      nodeId: string;
      nodeType: string;
      step: number;
      total: number;
      preview?: PreviewImage;
    }
  | {
      type: "node.finished";
      runId: string;
      nodeId: string;
      nodeType: string;
      ms: number;
      outputs: Record<string, unknown>;
      files?: FileOutput[];
      /** Seeds the node used (Noise nodes), as decimal strings. */
      seeds?: string[];
    }
  | { type: "node.skipped"; runId: string; nodeId: string; nodeType: string; reason: string }
  | { type: "node.failed"; runId: string; nodeId: string; nodeType: string; error: RunError }
  | { type: "run.finished"; runId: string; ms: number; results: Record<string, NodeResult> }
  | { type: "run.failed"; runId: string; ms: number; error: RunError; results: Record<string, NodeResult> }
  | { type: "run.cancelled"; runId: string; ms: number; results: Record<string, NodeResult> };

export interface NodeResult {
  status: NodeStatus;
  ms: number;
  error?: string;
}

export type RunEventType = RunEvent["type"];
