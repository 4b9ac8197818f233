"use client";
/**
 * Graphs in and out of the editor: import a dropped/picked JSON or Petalflow PNG (a new library
 * graph, opened with its seeds), export the document as JSON, and "New" (empty or from a template).
 */
import { useRouter } from "next/navigation";
import { useCallback } from "react";
import type { EditorStore } from "@/app/_lib/editor-store";
import { errorMessage, useTRPCClient } from "@/app/_lib/trpc";
import { canonicalJson } from "@/core/graph/document";

export function useGraphFiles(
  store: EditorStore,
  notify: (message: string, kind?: "info" | "error") => void,
) {
  const client = useTRPCClient();
  const router = useRouter();

  const importFiles = useCallback(
    async (files: File[]) => {
      const file = files[0];
      try {
        const isPng = file.type === "image/png" || file.name.toLowerCase().endsWith(".png");
        const source = isPng
          ? { kind: "png" as const, base64: await fileToBase64(file) }
          : { kind: "json" as const, text: await file.text() };
        const res = await client.graphs.import.mutate({ source });
        // ComfyUI / A1111 imports also list, per ComfyUI node, what did not map.
        const foreign = res.foreign?.problems ?? [];
        const notes = foreign
          .slice(0, 3)
          .map((p) => `node ${p.node} (${p.type})${p.field ? ` ${p.field}` : ""}: ${p.message}`);
        notify(
          `Imported “${res.graph.name}”${res.problems.length ? ` — ${res.problems.length} problem(s) to fix` : ""}${
            foreign.length
              ? `; ${foreign.length} ComfyUI import note(s): ${notes.join("; ")}${foreign.length > 3 ? "; …" : ""}`
              : ""
          }`,
          foreign.some((p) => p.severity === "error") ? "error" : "info",
        );
        router.push(`/graphs/${res.graph.id}`);
      } catch (e) {
        // The server names the API field ("source.base64: …"); a person needs only the reason.
        notify(`Could not import ${file.name}: ${errorMessage(e).replace(/^source\.\w+: /, "")}`, "error");
      }
    },
    [client, notify, router],
  );

  const exportJson = useCallback(() => {
    const doc = store.toDocument();
    const blob = new Blob([canonicalJson(doc)], { type: "application/json" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `${(doc.name || "graph").replace(/[^\w.-]+/g, "_")}.petalflow.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, [store]);

  /**
   * "New" (empty or from a template) creates nothing in the library: a graph enters it when first
   * saved. The scratch editor at "/" opens the new document; the graph it replaces there stays one
   * Ctrl+Z away, and a saved graph keeps its draft.
   */
  const newFrom = useCallback(
    (templateId: string | null) => router.push(`/?new=${encodeURIComponent(templateId ?? "empty")}`),
    [router],
  );

  return { importFiles, exportJson, newFrom };
}

async function fileToBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
