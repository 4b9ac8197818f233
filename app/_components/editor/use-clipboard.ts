"use client";
/**
 * Copy / cut / paste of nodes through the DOM clipboard events (no permission prompt). Outside text
 * fields only, so copying a prompt still copies text. Also works between tabs (see clipboard.ts).
 */
import { useEffect } from "react";
import { encodeFragment, fragmentToPaste } from "@/app/_lib/clipboard";
import type { EditorStore } from "@/app/_lib/editor-store";

const inText = (t: EventTarget | null) =>
  t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));

export function useClipboard(store: EditorStore, viewCentre: () => { position: { x: number; y: number } }) {
  useEffect(() => {
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
      // Paste near the view centre, keeping the fragment's own layout.
      const { position } = viewCentre();
      const minX = Math.min(...f.nodes.map((n) => n.position.x));
      const minY = Math.min(...f.nodes.map((n) => n.position.y));
      store.paste(f, { x: position.x - minX - 100, y: position.y - minY });
    };
    document.addEventListener("copy", onCopy);
    document.addEventListener("cut", onCopy);
    document.addEventListener("paste", onPaste);
    return () => {
      document.removeEventListener("copy", onCopy);
      document.removeEventListener("cut", onCopy);
      document.removeEventListener("paste", onPaste);
    };
  }, [store, viewCentre]);
}
