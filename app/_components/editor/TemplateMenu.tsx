"use client";
/**
 * "New" menu: an empty graph or one of the default workflows, opened on the canvas (a graph enters
 * the library when it is first saved). The list is drawn in a portal at a fixed position: the
 * toolbar clips its overflow, and a menu inside it would be cut off (clicks fell through to the canvas).
 */
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { useModelList } from "@/app/_lib/api-hooks";
import { offeredTemplates } from "@/app/_lib/templates";

export function TemplateMenu({ onPick }: { onPick(template: string | null): void }) {
  const [open, setOpen] = useState(false);
  const [at, setAt] = useState<{ left: number; top: number } | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const models = useModelList();
  // SDXL, Turbo and inpainting-model templates appear once such a model is installed.
  const templates = offeredTemplates(models.data?.filter((m) => m.usable).map((m) => m.family ?? ""));

  useLayoutEffect(() => {
    if (!open) return;
    const place = () => {
      const r = buttonRef.current?.getBoundingClientRect();
      if (r) setAt({ left: r.left, top: r.bottom + 4 });
    };
    place();
    window.addEventListener("resize", place);
    return () => window.removeEventListener("resize", place);
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

  const pick = (id: string | null) => {
    setOpen(false);
    onPick(id);
  };
  return (
    <div className="pf-menu">
      <button
        ref={buttonRef}
        type="button"
        className="pf-button"
        aria-haspopup="menu"
        aria-expanded={open}
        title="Start a new graph: empty or from a template (it enters the library when you save it)"
        onClick={() => setOpen((o) => !o)}
      >
        New ▾
      </button>
      {open &&
        at &&
        createPortal(
          <div
            ref={listRef}
            className="pf-menu__list pf-menu__list--floating"
            style={{ left: at.left, top: at.top }}
            role="menu"
            aria-label="New graph"
          >
            <button type="button" role="menuitem" onClick={() => pick(null)}>
              Empty graph
            </button>
            {templates.map((t) => (
              <button
                key={t.id}
                type="button"
                role="menuitem"
                title={t.description}
                onClick={() => pick(t.id)}
              >
                From template: {t.title}
              </button>
            ))}
          </div>,
          document.body,
        )}
    </div>
  );
}
