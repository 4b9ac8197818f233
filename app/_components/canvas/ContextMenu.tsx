"use client";
/**
 * The canvas's right-click menu, as ComfyUI users expect it: on empty canvas — add a node (search),
 * paste here, add a note or group; on a node — bypass, mute, pin, colour, convert a widget to an
 * input (fed by a new primitive node) or back, clone, delete. Every item is a real button, so it can
 * be reached by keyboard and by pointer hit-testing.
 */
import { useEffect, useRef } from "react";
import { fragmentToPaste } from "@/app/_lib/clipboard";
import { useEditorContext } from "@/app/_lib/editor-context";
import type { EditorStore } from "@/app/_lib/editor-store";
import { isPetal, type PetalNode } from "@/app/_lib/flow-types";
import { pasteOffset } from "@/app/_lib/placement";
import { type WidgetSpec, widgetSocketType } from "@/core/node/define";
import { registry } from "@/nodes/registry";

export interface ContextMenuRequest {
  /** Screen point of the right-click (the menu opens there). */
  screen: { x: number; y: number };
  /** The same point in flow coordinates (where "add" and "paste" put things). */
  position: { x: number; y: number };
  /** The node right-clicked, or none for the empty canvas. */
  nodeId?: string;
}

/** Node colours offered (ComfyUI's palette, light enough for dark text in the body). */
export const NODE_COLORS: readonly { name: string; value: string }[] = [
  { name: "red", value: "#e57373" },
  { name: "orange", value: "#ffb74d" },
  { name: "yellow", value: "#fff176" },
  { name: "green", value: "#81c784" },
  { name: "cyan", value: "#4dd0e1" },
  { name: "blue", value: "#64b5f6" },
  { name: "purple", value: "#ba68c8" },
];

const PRIMITIVE_FOR: Partial<Record<ReturnType<typeof widgetSocketType>, string>> = {
  INT: "primitive-int",
  FLOAT: "primitive-float",
  STRING: "primitive-text",
};

interface Item {
  label: string;
  testId: string;
  run(): void;
  disabled?: boolean;
}

export function ContextMenu({ request, onClose }: { request: ContextMenuRequest; onClose(): void }) {
  const { store, actions, readOnly } = useEditorContext();
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>("button:not([disabled])")?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    const onDown = (e: PointerEvent) => {
      if (!ref.current?.contains(e.target as Node)) onClose();
    };
    window.addEventListener("keydown", onKey);
    window.addEventListener("pointerdown", onDown, true);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("pointerdown", onDown, true);
    };
  }, [onClose]);

  const node = request.nodeId ? store.nodeById(request.nodeId) : undefined;
  const items: Item[] = readOnly
    ? []
    : node
      ? nodeItems(store, node, onClose)
      : paneItems(store, request, actions);
  const colours = node && isPetal(node) && !readOnly;
  const left = Math.min(request.screen.x, window.innerWidth - 240);
  const top = Math.min(request.screen.y, window.innerHeight - (items.length * 30 + (colours ? 60 : 16)));

  return (
    <div
      ref={ref}
      className="pf-context-menu"
      role="menu"
      aria-label={node ? "Node menu" : "Canvas menu"}
      data-testid="context-menu"
      style={{ left: Math.max(4, left), top: Math.max(4, top) }}
      onContextMenu={(e) => e.preventDefault()}
    >
      {items.map((item) => (
        <button
          key={item.testId}
          type="button"
          role="menuitem"
          className="pf-context-menu__item"
          data-testid={`menu-${item.testId}`}
          disabled={item.disabled}
          onClick={() => {
            onClose();
            item.run();
          }}
        >
          {item.label}
        </button>
      ))}
      {colours && isPetal(node) && (
        // biome-ignore lint/a11y/useSemanticElements: a row of swatches inside a menu, not a form
        <div className="pf-context-menu__colours" role="group" aria-label="Colour">
          {NODE_COLORS.map((c) => (
            <button
              key={c.name}
              type="button"
              role="menuitemradio"
              aria-checked={node.data.color === c.value}
              aria-label={`Colour ${c.name}`}
              data-testid={`menu-colour-${c.name}`}
              className="pf-context-menu__swatch"
              style={{ background: c.value }}
              onClick={() => {
                onClose();
                store.setLook(selectedIds(store, node.id), { color: c.value });
              }}
            />
          ))}
          <button
            type="button"
            role="menuitem"
            aria-label="No colour"
            data-testid="menu-colour-none"
            className="pf-context-menu__swatch pf-context-menu__swatch--none"
            onClick={() => {
              onClose();
              store.setLook(selectedIds(store, node.id), { color: null });
            }}
          >
            ×
          </button>
        </div>
      )}
      {items.length === 0 && !colours && <p className="pf-muted pf-context-menu__empty">Read-only</p>}
    </div>
  );
}

/** The right-clicked node and the others selected with it (a menu action applies to all of them). */
function selectedIds(store: EditorStore, nodeId: string): string[] {
  const sel = store
    .getState()
    .nodes.filter((n) => n.selected)
    .map((n) => n.id);
  return sel.includes(nodeId) ? sel : [nodeId];
}

function paneItems(
  store: EditorStore,
  request: ContextMenuRequest,
  actions: ReturnType<typeof useEditorContext>["actions"],
): Item[] {
  const fragment = fragmentToPaste(null);
  return [
    {
      label: "Add node…",
      testId: "add-node",
      run: () => actions.openSearch({ position: request.position, screen: request.screen }),
    },
    {
      label: "Paste here",
      testId: "paste",
      disabled: !fragment,
      run: () => {
        if (fragment) store.paste(fragment, pasteOffset(fragment.nodes, request.position));
      },
    },
    { label: "Add note", testId: "add-note", run: () => store.addNote(request.position) },
    {
      label: "Add group",
      testId: "add-group",
      run: () => store.addFrame({ ...request.position, width: 400, height: 300 }),
    },
  ];
}

function nodeItems(store: EditorStore, node: ReturnType<EditorStore["nodeById"]>, close: () => void): Item[] {
  if (!node) return [];
  const ids = selectedIds(store, node.id);
  // Bypass/mute and delete act on the selection: make sure the right-clicked node is in it.
  const select = () =>
    store.onNodesChange(
      store
        .getState()
        .nodes.map((n) => ({ type: "select" as const, id: n.id, selected: ids.includes(n.id) })),
    );
  const items: Item[] = [];
  if (isPetal(node)) {
    const mode = node.data.mode;
    items.push(
      {
        label: mode === "bypass" ? "Remove bypass" : "Bypass",
        testId: "bypass",
        run: () => {
          select();
          store.toggleMode("bypass");
        },
      },
      {
        label: mode === "mute" ? "Unmute" : "Mute",
        testId: "mute",
        run: () => {
          select();
          store.toggleMode("mute");
        },
      },
      {
        label: node.draggable === false ? "Unpin" : "Pin",
        testId: "pin",
        run: () => store.setLook(ids, { pinned: node.draggable !== false }),
      },
      ...widgetInputItems(store, node),
    );
  }
  items.push(
    {
      label: "Clone",
      testId: "clone",
      run: () => {
        select();
        store.paste(store.selectedFragment(), { x: 40, y: 40 });
      },
    },
    {
      label: "Delete",
      testId: "delete",
      run: () => {
        select();
        store.deleteSelected();
        close();
      },
    },
  );
  return items;
}

/**
 * ComfyUI's "convert widget to input": a linkable widget gets a primitive node holding its value,
 * linked into it; "convert input to widget" takes the value back and removes the link.
 */
function widgetInputItems(store: EditorStore, node: PetalNode): Item[] {
  const def = registry.get(node.data.type);
  if (!def) return [];
  const edges = store.getState().edges;
  return Object.entries(def.widgets)
    .filter((entry): entry is [string, WidgetSpec] => entry[1].linkable === true)
    .flatMap(([name, spec]) => {
      const label = spec.label ?? name;
      const link = edges.find((e) => e.target === node.id && e.targetHandle === name);
      if (link)
        return [
          {
            label: `Convert ${label} to widget`,
            testId: `to-widget-${name}`,
            run: () => {
              const source = store.nodeById(link.source);
              const value = source && isPetal(source) ? source.data.params.value : undefined;
              store.removeEdge(link.id);
              if (value !== undefined && value !== "") store.setParam(node.id, name, value);
            },
          },
        ];
      const primitive = PRIMITIVE_FOR[widgetSocketType(spec)];
      if (!primitive) return [];
      return [
        {
          label: `Convert ${label} to input`,
          testId: `to-input-${name}`,
          run: () => {
            const value = node.data.params[name] ?? spec.default;
            const at = { x: node.position.x - 280, y: node.position.y };
            const id = store.addNode(
              primitive,
              at,
              typeof value === "number" || typeof value === "string" ? { value } : {},
            );
            if (id) store.connect({ source: id, sourceHandle: "value", target: node.id, targetHandle: name });
          },
        },
      ];
    });
}
