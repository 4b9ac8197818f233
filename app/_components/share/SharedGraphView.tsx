"use client";
/**
 * A shared graph, read-only: the version's canvas with its latest images on the output nodes, and a
 * button that copies it into this server's library (which then opens it in the editor).
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { ReactFlowProvider } from "@xyflow/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { EditorContext, type EditorContextValue } from "@/app/_lib/editor-context";
import { EditorStore } from "@/app/_lib/editor-store";
import { type ArtifactLike, resultsByNode } from "@/app/_lib/run-results";
import { RunStore } from "@/app/_lib/run-store";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import { ValidationStore } from "@/app/_lib/validation-store";
import type { GraphDocument } from "@/core/graph/document";
import { FlowCanvas } from "../canvas/FlowCanvas";
import { LogoIcon } from "../Icons";

export function SharedGraphView({ token }: { token: string }) {
  const trpc = useTRPC();
  const share = useQuery({
    ...trpc.shares.get.queryOptions({ token }),
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
  if (share.error)
    return (
      <main className="pf-page">
        <h1>This link does not work</h1>
        <p role="alert">It may have been revoked or may have expired. ({errorMessage(share.error)})</p>
      </main>
    );
  if (!share.data) return <p className="pf-page pf-muted">Loading the shared graph…</p>;
  return (
    <SharedCanvas
      token={token}
      name={share.data.graphName}
      version={share.data.versionNumber}
      document={share.data.document}
      images={share.data.images}
    />
  );
}

function SharedCanvas(p: {
  token: string;
  name: string;
  version: number;
  document: GraphDocument;
  images: ArtifactLike[];
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const copy = useMutation(
    trpc.shares.copyToLibrary.mutationOptions({
      onSuccess: (r) => router.push(`/graphs/${r.graphId}`),
      onError: (e) => setError(errorMessage(e)),
    }),
  );
  const ctx = useMemo((): EditorContextValue => {
    const runs = new RunStore();
    // The newest images first: keep at most four per output node.
    const latest = p.images.filter(
      (img, i) => p.images.slice(0, i).filter((x) => x.nodeId === img.nodeId).length < 4,
    );
    runs.showResults(resultsByNode(latest));
    return {
      store: new EditorStore(p.document),
      runs,
      validation: new ValidationStore(),
      readOnly: true,
      actions: { notify: (m) => setError(m), openSearch: () => undefined, applySeed: () => undefined },
    };
  }, [p.document, p.images]);

  return (
    <EditorContext.Provider value={ctx}>
      <div className="pf-share-page" data-testid="share-page">
        <header className="pf-toolbar">
          <span className="pf-toolbar__brand">
            <LogoIcon /> Petalflow
          </span>
          <strong data-testid="shared-name">{p.name}</strong>
          <span className="pf-muted">version {p.version} · read-only</span>
          <span className="pf-toolbar__spacer" />
          {error && (
            <span role="alert" className="pf-node__error">
              {error}
            </span>
          )}
          <button
            type="button"
            className="pf-button pf-button--primary"
            disabled={copy.isPending}
            onClick={() => copy.mutate({ token: p.token })}
          >
            Copy to my library
          </button>
          <Link className="pf-button" href="/library">
            Library
          </Link>
        </header>
        <ReactFlowProvider>
          <FlowCanvas />
        </ReactFlowProvider>
      </div>
    </EditorContext.Provider>
  );
}
