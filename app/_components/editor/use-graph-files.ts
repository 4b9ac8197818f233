"use client";
/**
 * Graphs in and out of the editor: import a dropped/picked JSON or PNG (Petalflow's, ComfyUI's,
 * AUTOMATIC1111's: a new library graph, opened with its seeds), export the document as Petalflow JSON
 * or in ComfyUI's workflow / API format, and "New" (empty or from a template).
 */
import { useRouter } from "next/navigation";
import { useCallback } from "react";
import type { EditorStore } from "@/app/_lib/editor-store";
import { keepImportReport } from "@/app/_lib/import-report";
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
        // ComfyUI / A1111 imports also list, per ComfyUI node, what did not map: the editor that opens
        // the new graph shows them on their nodes and in a report.
        const foreign = res.foreign?.problems ?? [];
        if (res.foreign && foreign.length)
          keepImportReport(res.graph.id, { source: res.foreign.source, problems: foreign });
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
    download(canonicalJson(doc), `${fileStem(doc.name)}.petalflow.json`);
  }, [store]);

  /** The graph on the canvas (saved or not) in ComfyUI's UI workflow or API format; says what did not map. */
  const exportComfy = useCallback(
    async (format: "workflow" | "api") => {
      const doc = store.toDocument();
      try {
        const res = await client.graphs.toComfy.mutate({ document: doc, format });
        const text = res.format === "workflow" ? res.json : JSON.stringify(res.prompt, null, 2);
        download(text, `${fileStem(doc.name)}.comfyui-${format}.json`);
        const errors = res.problems.filter((p) => p.severity === "error");
        const what = format === "workflow" ? "a ComfyUI workflow" : "a ComfyUI API prompt";
        notify(
          res.problems.length
            ? `Exported as ${what}; ${res.problems.length} note(s): ${res.problems
                .slice(0, 3)
                .map((p) => `${p.node}${p.field ? ` ${p.field}` : ""}: ${p.message}`)
                .join("; ")}${res.problems.length > 3 ? "; …" : ""}`
            : `Exported as ${what}`,
          errors.length ? "error" : "info",
        );
      } catch (e) {
        notify(`Could not export: ${errorMessage(e)}`, "error");
      }
    },
    [client, store, notify],
  );

  /**
   * "New" (empty or from a template) creates nothing in the library: a graph enters it when first
   * saved. The scratch editor at "/" opens the new document; the graph it replaces there stays one
   * Ctrl+Z away, and a saved graph keeps its draft.
   */
  const newFrom = useCallback(
    (templateId: string | null) => router.push(`/?new=${encodeURIComponent(templateId ?? "empty")}`),
    [router],
  );

  return { importFiles, exportJson, exportComfy, newFrom };
}

const fileStem = (name: string) => (name || "graph").replace(/[^\w.-]+/g, "_");

function download(text: string, fileName: string) {
  const blob = new Blob([text], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function fileToBase64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
