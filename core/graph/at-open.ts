/**
 * A graph as the server read it while rendering its page (/graphs/[id]), handed to the editor with the
 * page (server/http/graph-at-open.ts makes it; app/_components/editor/SavedGraphEditor.tsx opens it).
 */
export interface GraphAtOpen {
  /**
   * A fresh id per server read. The browser can be handed the same page again (Back/Forward reuse a
   * page's server payload), and a read taken before a restore or a save elsewhere must not open as the
   * head: the editor uses each read once.
   */
  readId: string;
  graphId: string;
  /** `graphs.get`'s answer (GraphDetail) as JSON text. */
  json: string;
}
