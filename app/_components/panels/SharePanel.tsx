"use client";
/** Read-only share links to a saved version: create (saving first if needed), copy, revoke. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";

interface Props {
  graphId: string | null;
  /** Saves the current document if needed; returns the version to share, or null when saving failed. */
  ensureSaved(): Promise<{ graphId: string; versionId: string } | null>;
  notify(message: string, kind?: "info" | "error"): void;
}

export function SharePanel({ graphId, ensureSaved, notify }: Props) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [busy, setBusy] = useState(false);
  const list = useQuery({ ...trpc.shares.list.queryOptions({ graphId: graphId ?? "" }), enabled: !!graphId });
  const create = useMutation(trpc.shares.create.mutationOptions());
  const revoke = useMutation(
    trpc.shares.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.shares.list.pathKey() }),
      onError: (e) => notify(errorMessage(e), "error"),
    }),
  );
  const origin = typeof window === "undefined" ? "" : window.location.origin;

  const share = async () => {
    setBusy(true);
    try {
      const saved = await ensureSaved();
      if (!saved) return;
      const link = await create.mutateAsync({ versionId: saved.versionId });
      await queryClient.invalidateQueries({ queryKey: trpc.shares.list.pathKey() });
      const url = origin + link.path;
      await navigator.clipboard?.writeText(url).catch(() => undefined);
      notify("Share link created (copied to the clipboard)");
    } catch (e) {
      notify(`Could not share: ${errorMessage(e)}`, "error");
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="share-panel">
      <p className="pf-muted">
        A share link shows this version read-only, with its latest images. Anyone with the link can view it.
      </p>
      <button
        type="button"
        className="pf-button pf-button--small"
        disabled={busy}
        data-testid="create-share"
        onClick={() => void share()}
      >
        {busy ? "Creating…" : "Create a link to the current version"}
      </button>
      <h3>Links</h3>
      <ul>
        {(list.data ?? []).length === 0 && <li className="pf-muted">No links yet.</li>}
        {(list.data ?? []).map((s) => (
          <li key={s.id} className="pf-row" data-testid="share-link" data-active={s.active}>
            <div className="pf-row__head">
              <span>v{s.versionNumber}</span>
              <span className="pf-muted">
                {s.active ? `${s.viewCount} views` : s.revokedAt ? "revoked" : "expired"}
              </span>
            </div>
            {s.active && (
              <>
                <input
                  className="pf-input"
                  readOnly
                  value={origin + s.path}
                  aria-label={`Share link for version ${s.versionNumber}`}
                  data-testid="share-url"
                  onFocus={(e) => e.currentTarget.select()}
                />
                <div className="pf-row__actions">
                  <a className="pf-button pf-button--small" href={s.path} target="_blank" rel="noreferrer">
                    Open
                  </a>
                  <button
                    type="button"
                    className="pf-button pf-button--small pf-button--danger"
                    onClick={() => revoke.mutate({ id: s.id })}
                  >
                    Revoke
                  </button>
                </div>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
