"use client";
/**
 * Files dropped on the canvas: a graph (JSON, or a PNG saved by Petalflow) opens as before; an ordinary
 * PNG/JPEG is uploaded and becomes a Load Image node holding it, where it was dropped (as in ComfyUI).
 */
import { useCallback } from "react";
import { droppedFileKind } from "@/app/_lib/dropped-files";
import type { EditorStore } from "@/app/_lib/editor-store";
import { uploadImage } from "@/app/_lib/uploads";

type Point = { x: number; y: number };

export function useFileDrop(opts: {
  store: EditorStore;
  importFiles(files: File[]): Promise<void>;
  viewCentre(): { position: Point };
  notify(message: string, kind?: "info" | "error"): void;
}) {
  const { store, importFiles, viewCentre, notify } = opts;
  return useCallback(
    async (files: File[], at?: Point) => {
      const file = files[0];
      if (!file) return;
      const head = new Uint8Array(await file.arrayBuffer());
      const kind = droppedFileKind(file, head);
      if (kind === "graph-json" || kind === "graph-png") return importFiles([file]);
      if (kind === "unknown") {
        notify(
          `Cannot use ${file.name}: drop a graph (.json), a PNG saved by Petalflow, or an image (PNG or JPEG)`,
          "error",
        );
        return;
      }
      try {
        const up = await uploadImage(file);
        store.addNode("load-image", at ?? viewCentre().position, { image: up.name });
        notify(`Added a Load Image node with ${file.name} (${up.width}×${up.height})`);
      } catch (e) {
        notify(`Could not upload ${file.name}: ${(e as Error).message}`, "error");
      }
    },
    [store, importFiles, viewCentre, notify],
  );
}
