"use client";
/**
 * Copy / cut / paste of nodes through the DOM clipboard events (no permission prompt). Outside text
 * fields only, so copying a prompt still copies text. Also works between tabs (see clipboard.ts).
 * A paste lands at the pointer when it is over the canvas (else at the view's centre).
 */
import { useEffect } from "react";
import { encodeFragment, fragmentToPaste } from "@/app/_lib/clipboard";
import type { EditorStore } from "@/app/_lib/editor-store";
import { PasteTarget, pasteOffset } from "@/app/_lib/placement";

type Point = { x: number; y: number };

const inText = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));

export function useClipboard(
  store: EditorStore,
  viewCentre: () => { position: Point },
  screenToFlow: (p: Point) => Point,
) {
  useEffect(() => {
    let pointer: Point | null = null;
    const target = new PasteTarget();
    const onMove = (e: PointerEvent) => {
      const over = e.target instanceof Element && e.target.closest(".pf-canvas");
      pointer = over ? { x: e.clientX, y: e.clientY } : null;
    };
    const onCopy = (e: ClipboardEvent) => {
      if (inText(e.target)) return;
      const f = store.selectedFragment();
      if (f.nodes.length === 0) return;
      e.preventDefault();
      e.clipboardData?.setData("text/plain", encodeFragment(f));
      if (e.type === "cut") store.deleteSelected();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (inText(e.target)) return;
      const f = fragmentToPaste(e.clipboardData?.getData("text/plain") ?? null);
      if (!f) return;
      e.preventDefault();
      // The fragment's top-left at the pointer, keeping its own layout.
      const at = target.next(pointer ? screenToFlow(pointer) : viewCentre().position);
      store.paste(f, pasteOffset(f.nodes, at));
    };
    document.addEventListener("pointermove", onMove);
    document.addEventListener("copy", onCopy);
    document.addEventListener("cut", onCopy);
    document.addEventListener("paste", onPaste);
    return () => {
      document.removeEventListener("pointermove", onMove);
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("cut", onCopy);
      document.removeEventListener("paste", onPaste);
    };
  }, [store, viewCentre, screenToFlow]);
}
