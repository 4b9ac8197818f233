/**
 * Copy/paste of nodes, also between tabs: the fragment goes to the system clipboard (as JSON text) and
 * to localStorage, so a paste in another tab works even where the clipboard cannot be read.
 */
import type { FlowEdge, FlowNode } from "./flow-types";

const KEY = "petalflow:clipboard";
const MARK = "petalflow.fragment";

export interface Fragment {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

export function encodeFragment(f: Fragment): string {
  const text = JSON.stringify({ format: MARK, ...f });
  try {
    localStorage.setItem(KEY, text);
  } catch {
    // storage full or disabled: the system clipboard still has it
  }
  return text;
}

export function decodeFragment(text: string | null | undefined): Fragment | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as { format?: string; nodes?: unknown; edges?: unknown };
    if (v.format !== MARK || !Array.isArray(v.nodes) || !Array.isArray(v.edges)) return null;
    return { nodes: v.nodes as FlowNode[], edges: v.edges as FlowEdge[] };
  } catch {
    return null;
  }
}

/** The fragment to paste: the clipboard's if it holds one, else the last one copied in any tab. */
export function fragmentToPaste(clipboardText: string | null): Fragment | null {
  const fromClipboard = decodeFragment(clipboardText);
  if (fromClipboard) return fromClipboard;
  if (clipboardText?.trim()) return null; // the user copied something else since
  try {
    return decodeFragment(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}
