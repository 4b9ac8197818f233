import { headers } from "next/headers";
import { Suspense } from "react";
import { SavedGraphEditor } from "@/app/_components/editor/SavedGraphEditor";
import { getApp } from "@/server/app";
import { readGraphAtOpen } from "@/server/http/graph-at-open";

export const dynamic = "force-dynamic";

const loading = <p className="pf-page pf-muted">Loading the graph…</p>;

export default async function GraphPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // The page's shell (and its scripts) go out at once; the graph follows in the same response.
  return (
    <Suspense fallback={loading}>
      <GraphReadAtOpen id={id} />
    </Suspense>
  );
}

async function GraphReadAtOpen({ id }: { id: string }) {
  const opened = await readGraphAtOpen(await getApp(), id, new Headers(await headers()));
  return <SavedGraphEditor id={id} opened={opened} />;
}
