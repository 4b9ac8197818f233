"use client";
/** The library: saved graphs with thumbnails, search, tags, sorting; open, rename, duplicate, archive, versions. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { errorMessage, useTRPC } from "@/app/_lib/trpc";
import { VersionHistory } from "./VersionHistory";

type Sort = "updatedAt" | "createdAt" | "name";

export function LibraryView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState<string | undefined>();
  const [sort, setSort] = useState<Sort>("updatedAt");
  const [archived, setArchived] = useState<"active" | "archived">("active");
  const [message, setMessage] = useState<string | null>(null);
  const list = useQuery(
    trpc.graphs.list.queryOptions({ search: search.trim() || undefined, tag, sort, archived, limit: 60 }),
  );
  const tags = useQuery(trpc.graphs.tags.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.graphs.pathKey() });
  const onError = (e: unknown) => setMessage(errorMessage(e));

  return (
    <main className="pf-page" data-testid="library">
      <div className="pf-page__head">
        <h1>Library</h1>
        <label className="pf-visually-hidden" htmlFor="lib-search">
          Search graphs
        </label>
        <input
          id="lib-search"
          className="pf-input"
          style={{ width: 220, fontSize: 14 }}
          placeholder="Search by name…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label htmlFor="lib-sort">Sort</label>
        <select
          id="lib-sort"
          className="pf-input"
          style={{ width: 150 }}
          value={sort}
          onChange={(e) => setSort(e.target.value as Sort)}
        >
          <option value="updatedAt">Recently changed</option>
          <option value="createdAt">Recently created</option>
          <option value="name">Name</option>
        </select>
        <label>
          <input
            type="checkbox"
            checked={archived === "archived"}
            onChange={(e) => setArchived(e.target.checked ? "archived" : "active")}
          />{" "}
          Archived
        </label>
        <span className="pf-toolbar__spacer" />
        <Link className="pf-button pf-button--primary" href="/">
          Open the editor
        </Link>
      </div>
      {(tags.data?.length ?? 0) > 0 && (
        <p>
          Tags:{" "}
          {tags.data!.map((t) => (
            <button
              key={t.tag}
              type="button"
              className="pf-tag"
              aria-pressed={tag === t.tag}
              onClick={() => setTag(tag === t.tag ? undefined : t.tag)}
            >
              {tag === t.tag ? "✓ " : ""}
              {t.tag} ({t.count})
            </button>
          ))}
        </p>
      )}
      {message && (
        <p role="alert" className="pf-node__error">
          {message}
        </p>
      )}
      {list.isLoading && <p className="pf-muted">Loading…</p>}
      {list.data?.items.length === 0 && (
        <p className="pf-muted">No graphs{search ? ` matching “${search}”` : ""} yet.</p>
      )}
      <ul className="pf-cards">
        {list.data?.items.map((g) => (
          <GraphCard key={g.id} graph={g} onChanged={refresh} onError={onError} />
        ))}
      </ul>
    </main>
  );
}

interface CardGraph {
  id: string;
  name: string;
  tags: string[];
  thumbnailUrl: string | null;
  updatedAt: string;
  archived: boolean;
  head: { id: string; number: number } | null;
  hasDraft: boolean;
}

function GraphCard({
  graph,
  onChanged,
  onError,
}: {
  graph: CardGraph;
  onChanged(): void;
  onError(e: unknown): void;
}) {
  const trpc = useTRPC();
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(graph.name);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const opts = { onSuccess: onChanged, onError };
  const rename = useMutation(trpc.graphs.rename.mutationOptions(opts));
  const duplicate = useMutation(trpc.graphs.duplicate.mutationOptions(opts));
  const archive = useMutation(trpc.graphs.archive.mutationOptions(opts));
  const unarchive = useMutation(trpc.graphs.unarchive.mutationOptions(opts));
  const [tagText, setTagText] = useState(graph.tags.join(", "));
  const update = useMutation(trpc.graphs.update.mutationOptions(opts));

  return (
    <li className="pf-card" data-testid="graph-card" data-graph-id={graph.id}>
      <Link href={`/graphs/${graph.id}`} aria-label={`Open ${graph.name}`}>
        {graph.thumbnailUrl ? (
          // biome-ignore lint/performance/noImgElement: thumbnails are run artifacts served by our API
          <img className="pf-card__thumb" src={graph.thumbnailUrl} alt="" />
        ) : (
          <div className="pf-card__thumb" />
        )}
      </Link>
      {renaming ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            rename.mutate({ id: graph.id, name });
            setRenaming(false);
          }}
        >
          <label className="pf-visually-hidden" htmlFor={`rename-${graph.id}`}>
            New name
          </label>
          <input
            id={`rename-${graph.id}`}
            className="pf-input"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </form>
      ) : (
        <Link className="pf-card__name" href={`/graphs/${graph.id}`} data-testid="graph-name">
          {graph.name}
        </Link>
      )}
      <span className="pf-muted">
        {graph.head ? `v${graph.head.number}` : "never saved"}
        {graph.hasDraft ? " · unsaved draft" : ""} · {new Date(graph.updatedAt).toLocaleString()}
      </span>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          update.mutate({
            id: graph.id,
            tags: tagText
              .split(",")
              .map((t) => t.trim().toLowerCase())
              .filter(Boolean),
          });
        }}
      >
        <label className="pf-visually-hidden" htmlFor={`tags-${graph.id}`}>
          Tags of {graph.name}
        </label>
        <input
          id={`tags-${graph.id}`}
          className="pf-input"
          placeholder="tags, comma separated (Enter)"
          value={tagText}
          onChange={(e) => setTagText(e.target.value)}
        />
      </form>
      <div className="pf-row__actions">
        <Link className="pf-button pf-button--small" href={`/graphs/${graph.id}`}>
          Open
        </Link>
        <button type="button" className="pf-button pf-button--small" onClick={() => setRenaming((r) => !r)}>
          Rename
        </button>
        <button
          type="button"
          className="pf-button pf-button--small"
          onClick={() => duplicate.mutate({ id: graph.id })}
        >
          Duplicate
        </button>
        {graph.archived ? (
          <button
            type="button"
            className="pf-button pf-button--small"
            onClick={() => unarchive.mutate({ id: graph.id })}
          >
            Unarchive
          </button>
        ) : (
          <button
            type="button"
            className="pf-button pf-button--small"
            onClick={() => archive.mutate({ id: graph.id })}
          >
            Archive
          </button>
        )}
        <button
          type="button"
          className="pf-button pf-button--small"
          aria-expanded={versionsOpen}
          onClick={() => setVersionsOpen((v) => !v)}
        >
          Versions
        </button>
      </div>
      {versionsOpen && <VersionHistory graphId={graph.id} onChanged={onChanged} onError={onError} />}
    </li>
  );
}
