import { Suspense } from "react";
import { ScratchEditor } from "./_components/editor/ScratchEditor";

export default function HomePage() {
  // ScratchEditor reads ?new= (useSearchParams): the page renders around it.
  return (
    <Suspense fallback={<p className="pf-page pf-muted">Loading…</p>}>
      <ScratchEditor />
    </Suspense>
  );
}
