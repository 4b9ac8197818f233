"use client";
/**
 * Editor keyboard shortcuts. Inside text fields only the "global" ones (Ctrl+Enter, Ctrl+S) apply,
 * so typing, and the browser's own undo in a prompt box, keep working.
 */
import { useEffect, useRef } from "react";

export interface ShortcutHandlers {
  run(): void;
  save(): void;
  undo(): void;
  redo(): void;
  search(): void;
  deleteSelection(): void;
  duplicate(): void;
  bypass(): void;
  mute(): void;
  group(): void;
  selectAll(): void;
}

function isTextTarget(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  if (tag === "TEXTAREA" || tag === "SELECT") return true;
  if (tag === "INPUT") {
    const type = (t as HTMLInputElement).type;
    return !["checkbox", "radio", "button", "submit", "range", "file"].includes(type);
  }
  return false;
}

export function useShortcuts(handlers: ShortcutHandlers, enabled = true) {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      const h = ref.current;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "enter") {
        e.preventDefault();
        h.run();
        return;
      }
      if (mod && key === "s") {
        e.preventDefault();
        h.save();
        return;
      }
      if (isTextTarget(e.target) || document.querySelector(".pf-search")) return;
      if (mod && key === "z" && !e.shiftKey) {
        e.preventDefault();
        h.undo();
      } else if (mod && (key === "y" || (key === "z" && e.shiftKey))) {
        e.preventDefault();
        h.redo();
      } else if ((mod && key === "k") || (!mod && e.key === "/")) {
        e.preventDefault();
        h.search();
      } else if (!mod && (e.key === "Delete" || e.key === "Backspace")) {
        e.preventDefault();
        h.deleteSelection();
      } else if (mod && key === "d") {
        e.preventDefault();
        h.duplicate();
      } else if (mod && key === "b") {
        e.preventDefault();
        h.bypass();
      } else if (mod && key === "m") {
        e.preventDefault();
        h.mute();
      } else if (mod && key === "g") {
        e.preventDefault();
        h.group();
      } else if (mod && key === "a") {
        e.preventDefault();
        h.selectAll();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}
