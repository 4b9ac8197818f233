"use client";
/**
 * The node search box (double-click on the canvas, "/" or Ctrl+K): fuzzy matching, arrow keys and
 * Enter. Opened by dropping a link on empty canvas, it lists only nodes that can take that link.
 */
import { useEffect, useId, useMemo, useRef, useState } from "react";
import { categoryColor } from "@/app/_lib/categories";
import { byFit } from "@/app/_lib/family-nodes";
import { matchedAlias, searchNodes } from "@/app/_lib/node-search";
import type { SearchRequest } from "@/app/_lib/search-request";
import type { NodeDefinition } from "@/core/node/define";
import { useNodeFits } from "./use-node-fits";

interface Props {
  request: SearchRequest;
  onPick(def: NodeDefinition): void;
  onClose(): void;
}

export function NodeSearch({ request, onPick, onClose }: Props) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const listId = useId();
  const socket = request.connectFrom?.socket;
  const handleType = request.connectFrom?.handleType;
  // Nodes made for the graph's model family first, those its models cannot run last.
  const fits = useNodeFits();
  const results = useMemo(
    () => byFit(searchNodes(query, socket && handleType ? { socket, handleType } : undefined), fits),
    [query, socket, handleType, fits],
  );

  useEffect(() => inputRef.current?.focus(), []);

  const pick = (def: NodeDefinition | undefined) => {
    if (def) onPick(def);
  };

  const left = Math.min(
    request.screen?.x ?? 400,
    (typeof window === "undefined" ? 1280 : window.innerWidth) - 340,
  );
  const top = Math.min(
    request.screen?.y ?? 160,
    (typeof window === "undefined" ? 800 : window.innerHeight) - 380,
  );

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the backdrop closes the dialog on click
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape is handled on the input
    <div className="pf-search-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="pf-search"
        role="dialog"
        aria-label="Add a node"
        data-testid="node-search"
        style={{ left: Math.max(8, left), top: Math.max(8, top) }}
      >
        {request.connectFrom && (
          <p className="pf-muted pf-search__hint">
            Nodes that {request.connectFrom.handleType === "source" ? "take" : "give"}{" "}
            {request.connectFrom.socket}
          </p>
        )}
        <input
          ref={inputRef}
          className="pf-input pf-search__input"
          role="combobox"
          aria-expanded="true"
          aria-controls={listId}
          aria-activedescendant={results[active] ? `${listId}-${results[active].id}` : undefined}
          aria-label="Search nodes"
          placeholder="Search nodes…"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown") {
              e.preventDefault();
              setActive((a) => Math.min(a + 1, results.length - 1));
            } else if (e.key === "ArrowUp") {
              e.preventDefault();
              setActive((a) => Math.max(a - 1, 0));
            } else if (e.key === "Enter") {
              e.preventDefault();
              pick(results[active]);
            } else if (e.key === "Escape") {
              e.preventDefault();
              onClose();
            }
          }}
        />
        <div id={listId} className="pf-search__list" role="listbox" aria-label="Matching nodes">
          {results.length === 0 && <div className="pf-muted pf-search__empty">No matching node</div>}
          {results.map((def, i) => (
            <div
              key={def.id}
              id={`${listId}-${def.id}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === active}
              className={`pf-search__item${i === active ? " is-active" : ""}`}
              data-testid={`search-result-${def.id}`}
              data-fit={fits.get(def.id)?.fit}
              title={fits.get(def.id)?.reason}
              onMouseEnter={() => setActive(i)}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(def);
              }}
            >
              <span className="pf-search__dot" style={{ background: categoryColor(def.category) }} />
              <span className="pf-search__title">
                {def.title}
                {matchedAlias(def, query) && (
                  <span className="pf-muted pf-search__alias"> ({matchedAlias(def, query)})</span>
                )}
              </span>
              <span className="pf-muted pf-search__cat">{def.category}</span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
