import type { FileOutput } from "@/core/run/events";

/** The URL of a run's file: the artifact route when the server stored it, else its own path. */
export function artifactUrl(f: Pick<FileOutput, "artifactId" | "path">): string {
  return f.artifactId ? `/api/artifacts/${encodeURIComponent(f.artifactId)}` : f.path;
}
