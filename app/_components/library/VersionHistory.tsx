"use client";
/** A graph's versions, newest first: restore one, or see what changed since the one before it. */
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { type DiffLine, diffDocuments, showDiffValue } from "@/app/_lib/document-diff";
import { clearBackup } from "@/app/_lib/local-backup";
import { useTRPC } from "@/app/_lib/trpc";

interface Props {
  graphId: string;
  onChanged(): void;
  onError(e: unknown): void;
}

export function VersionHistory({ graphId, onChanged, onError }: Props) {
  const trpc = useTRPC();
  const versions = useQuery(trpc.graphs.versions.queryOptions({ id: graphId, limit: 50 }));
  const [diffOf, setDiffOf] = useState<{ before: string; after: string } | null>(null);
  const restore = useMutation(
    trpc.graphs.restoreVersion.mutationOptions({
      onSuccess: () => {
        // The restored version is the head now; a browser copy of later edits must not override it.
        clearBackup(graphId);
        void versions.refetch();
        onChanged();
      },
      onError,
    }),
  );
  const items = versions.data?.items ?? [];
  return (
    <div data-testid="version-history">
      <ul>
        {items.map((v, i) => (
          <li key={v.id} className="pf-row" data-testid="version-row" data-version={v.number}>
            <div className="pf-row__head">
              <strong>v{v.number}</strong>
              {v.isHead && <span className="pf-tag">current</span>}
              <span className="pf-muted">{new Date(v.createdAt).toLocaleString()}</span>
            </div>
            {v.message && <div className="pf-muted">{v.message}</div>}
            <div className="pf-row__actions">
              {!v.isHead && (
                <button
                  type="button"
                  className="pf-button pf-button--small"
                  disabled={restore.isPending}
                  onClick={() => restore.mutate({ id: graphId, versionId: v.id })}
                >
                  Restore v{v.number}
                </button>
              )}
              {items[i + 1] && (
                <button
                  type="button"
                  className="pf-button pf-button--small"
                  aria-expanded={diffOf?.after === v.id}
                  onClick={() =>
                    setDiffOf(diffOf?.after === v.id ? null : { before: items[i + 1].id, after: v.id })
                  }
                >
                  Changes since v{items[i + 1].number}
                </button>
              )}
            </div>
            {diffOf?.after === v.id && <VersionDiff before={diffOf.before} after={diffOf.after} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

function VersionDiff({ before, after }: { before: string; after: string }) {
  const trpc = useTRPC();
  const a = useQuery(trpc.graphs.version.queryOptions({ versionId: before }));
  const b = useQuery(trpc.graphs.version.queryOptions({ versionId: after }));
  if (!a.data || !b.data) return <p className="pf-muted">Loading…</p>;
  const lines = diffDocuments(a.data.document, b.data.document);
  if (lines.length === 0) return <p className="pf-muted">Only positions or layout changed.</p>;
  return (
    <ul className="pf-diff" data-testid="version-diff">
      {lines.map((l) => (
        <li key={diffKey(l)}>{describeLine(l)}</li>
      ))}
    </ul>
  );
}

function diffKey(l: DiffLine): string {
  return JSON.stringify(l);
}

function describeLine(l: DiffLine) {
  switch (l.kind) {
    case "node-added":
      return <span className="add">+ {l.node}</span>;
    case "node-removed":
      return <span className="del">− {l.node}</span>;
    case "param":
      return (
        <span>
          {l.node} · {l.param}: <span className="del">{showDiffValue(l.before)}</span> →{" "}
          <span className="add">{showDiffValue(l.after)}</span>
        </span>
      );
    case "mode":
      return (
        <span>
          {l.node}: {l.before} → {l.after}
        </span>
      );
    case "links":
      return (
        <span>
          links: <span className="add">+{l.added}</span> <span className="del">−{l.removed}</span>
        </span>
      );
    case "name":
      return (
        <span>
          name: {l.before} → {l.after}
        </span>
      );
  }
}
