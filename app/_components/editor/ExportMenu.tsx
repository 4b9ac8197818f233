"use client";
/**
 * "Export" menu: the graph as Petalflow JSON, as a ComfyUI workflow (the UI format, with layout) or as a
 * ComfyUI API prompt. Drawn in a portal at a fixed position, as the "New" menu is (the toolbar clips).
 */
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";

export type ExportFormat = "petalflow" | "comfy-workflow" | "comfy-api";

const ITEMS: { format: ExportFormat; label: string; title: string }[] = [
  { format: "petalflow", label: "Petalflow JSON", title: "The graph document, as Petalflow opens it" },
  {
    format: "comfy-workflow",
    label: "ComfyUI workflow",
    title: "ComfyUI's UI format (nodes, links, positions): drop it on ComfyUI's canvas",
  },
  {
    format: "comfy-api",
    label: "ComfyUI API prompt",
    title: "ComfyUI's API format, for POST /prompt and scripts",
  },
];

export function ExportMenu({ onExport }: { onExport(format: ExportFormat): void }) {
  const [open, setOpen] = useState(false);
  const [at, setAt] = useState<{ left: number; top: number } | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLDivElement>(null);

  useLayoutEffect(() => {
    if (!open) return;
    const r = buttonRef.current?.getBoundingClientRect();
    if (r) setAt({ left: r.left, top: r.bottom + 4 });
  }, [open]);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      const t = e.target as Node;
      if (!buttonRef.current?.contains(t) && !listRef.current?.contains(t)) setOpen(false);
    };
    const esc = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    window.addEventListener("mousedown", close);
    window.addEventListener("keydown", esc);
    return () => {
      window.removeEventListener("mousedown", close);
      window.removeEventListener("keydown", esc);
    };
  }, [open]);

  return (
    <div className="pf-menu">
      <button
        ref={buttonRef}
        type="button"
        className="pf-button"
        aria-haspopup="menu"
        aria-expanded={open}
        title="Download the graph: Petalflow JSON, or ComfyUI's workflow or API format"
        onClick={() => setOpen((o) => !o)}
      >
        Export ▾
      </button>
      {open &&
        at &&
        createPortal(
          <div
            ref={listRef}
            className="pf-menu__list pf-menu__list--floating"
            style={{ left: at.left, top: at.top }}
            role="menu"
            aria-label="Export"
          >
            {ITEMS.map((item) => (
              <button
                key={item.format}
                type="button"
                role="menuitem"
                title={item.title}
                onClick={() => {
                  setOpen(false);
                  onExport(item.format);
                }}
              >
                {item.label}
              </button>
            ))}
          </div>,
          document.body,
        )}
    </div>
  );
}
