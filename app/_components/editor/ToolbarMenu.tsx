"use client";
/**
 * A toolbar button that opens a menu of actions ("New ▾", "Export ▾"). The list is drawn in a portal at
 * a fixed position under the button: the toolbar clips its overflow, and a menu inside it would be cut
 * off (clicks fell through to the canvas). It closes on a pick, a click elsewhere, or Escape.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";

export interface ToolbarMenuItem {
  key: string;
  label: string;
  title?: string;
  onSelect(): void;
}

export function ToolbarMenu(props: {
  label: string;
  title: string;
  menuLabel: string;
  items: ToolbarMenuItem[];
}) {
  const [open, setOpen] = useState(false);
  const [at, setAt] = useState<{ left: number; top: number } | null>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const listRef = useRef<HTMLDivElement>(null);

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

  return (
    <div className="pf-menu">
      <button
        ref={buttonRef}
        type="button"
        className="pf-button"
        aria-haspopup="menu"
        aria-expanded={open}
        title={props.title}
        onClick={() => setOpen((o) => !o)}
      >
        {props.label}
      </button>
      {open &&
        at &&
        createPortal(
          <div
            ref={listRef}
            className="pf-menu__list pf-menu__list--floating"
            style={{ left: at.left, top: at.top }}
            role="menu"
            aria-label={props.menuLabel}
          >
            {props.items.map((item) => (
              <button
                key={item.key}
                type="button"
                role="menuitem"
                title={item.title}
                onClick={() => {
                  setOpen(false);
                  item.onSelect();
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
