"use client";
/** "New" menu: an empty graph or one of the default workflows (each becomes a new library graph). */
import { useEffect, useRef, useState } from "react";
import { TEMPLATES } from "@/app/_lib/templates";

export function TemplateMenu({ onPick }: { onPick(template: string | null): void }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener("mousedown", close);
    return () => window.removeEventListener("mousedown", close);
  }, [open]);
  const pick = (id: string | null) => {
    setOpen(false);
    onPick(id);
  };
  return (
    <div className="pf-menu" ref={ref}>
      <button
        type="button"
        className="pf-button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setOpen(false);
        }}
      >
        New ▾
      </button>
      {open && (
        <div className="pf-menu__list" role="menu" aria-label="New graph">
          <button type="button" role="menuitem" onClick={() => pick(null)}>
            Empty graph
          </button>
          {TEMPLATES.map((t) => (
            <button key={t.id} type="button" role="menuitem" title={t.description} onClick={() => pick(t.id)}>
              From template: {t.title}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
