"use client";
/** The editor's top bar: name, save state, new/template, edit tools, import/export, save and run. */
import Link from "next/link";
import { useRef } from "react";
import { useCurrentRun, useEditor, useEditorContext } from "@/app/_lib/editor-context";
import { LogoIcon } from "../Icons";
import { type ExportFormat, ExportMenu } from "./ExportMenu";
import { TemplateMenu } from "./TemplateMenu";
import type { SaveState } from "./use-persistence";

interface Props {
  saveState: SaveState;
  versionNumber: number | null;
  onSave(): void;
  onUndo(): void;
  onRedo(): void;
  onRun(): void;
  onLayout(): void;
  onGroup(): void;
  onNote(): void;
  onExport(format: ExportFormat): void;
  onImportFiles(files: File[]): void;
  onNewFrom(template: string | null): void;
}

const selectName = (s: { meta: { name: string } }) => s.meta.name;
const selectCanUndo = (s: { canUndo: boolean }) => s.canUndo;
const selectCanRedo = (s: { canRedo: boolean }) => s.canRedo;

export function Toolbar(p: Props) {
  const { store } = useEditorContext();
  const name = useEditor(selectName);
  const canUndo = useEditor(selectCanUndo);
  const canRedo = useEditor(selectCanRedo);
  const fileRef = useRef<HTMLInputElement>(null);

  return (
    <header className="pf-toolbar">
      <Link href="/library" className="pf-toolbar__brand" title="Petalflow: open the library of saved graphs">
        <LogoIcon /> Library
      </Link>
      <input
        className="pf-input pf-toolbar__name"
        aria-label="Graph name"
        value={name}
        onChange={(e) => store.setName(e.target.value)}
      />
      <SaveBadge state={p.saveState} version={p.versionNumber} />
      <span className="pf-toolbar__sep" />
      <TemplateMenu onPick={p.onNewFrom} />
      <span className="pf-toolbar__sep" />
      <button
        type="button"
        className="pf-icon-button"
        aria-label="Undo"
        title="Undo (Ctrl+Z)"
        disabled={!canUndo}
        onClick={p.onUndo}
      >
        ↶
      </button>
      <button
        type="button"
        className="pf-icon-button"
        aria-label="Redo"
        title="Redo (Ctrl+Y)"
        disabled={!canRedo}
        onClick={p.onRedo}
      >
        ↷
      </button>
      <button
        type="button"
        className="pf-button"
        title="Arrange the nodes along the links"
        onClick={p.onLayout}
      >
        Layout
      </button>
      <button
        type="button"
        className="pf-button"
        title="Frame the selected nodes in a group (Ctrl+G)"
        onClick={p.onGroup}
      >
        Group
      </button>
      <button type="button" className="pf-button" title="Add a note" onClick={p.onNote}>
        Note
      </button>
      <span className="pf-toolbar__sep" />
      <button
        type="button"
        className="pf-button"
        title="Open a graph: Petalflow JSON or PNG, a ComfyUI workflow, API prompt or PNG, an AUTOMATIC1111 PNG"
        onClick={() => fileRef.current?.click()}
      >
        Import
      </button>
      <input
        ref={fileRef}
        type="file"
        accept=".json,application/json,image/png"
        className="pf-visually-hidden"
        aria-label="Import a graph file"
        data-testid="import-input"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = "";
          if (files.length) p.onImportFiles(files);
        }}
      />
      <ExportMenu onExport={p.onExport} />
      <span className="pf-toolbar__spacer" />
      <button type="button" className="pf-button" title="Save a new version (Ctrl+S)" onClick={p.onSave}>
        Save
      </button>
      <button
        type="button"
        className="pf-button pf-button--primary"
        data-testid="run-button"
        title="Run (Ctrl+Enter)"
        onClick={p.onRun}
      >
        ▶ Run
      </button>
    </header>
  );
}

function SaveBadge({ state, version }: { state: SaveState; version: number | null }) {
  const text =
    state === "saving"
      ? "Saving…"
      : state === "unsaved"
        ? "Unsaved changes"
        : state === "new"
          ? "Not in the library yet"
          : `Saved${version ? ` · v${version}` : ""}`;
  return (
    <span
      className={`pf-saved${state === "unsaved" ? " pf-saved--dirty" : ""}`}
      data-testid="save-state"
      data-state={state}
      title={
        state === "unsaved"
          ? "Edits are kept in this browser and autosaved as a draft; Ctrl+S saves a version"
          : state === "new"
            ? "Ctrl+S (Save) adds this graph to the library"
            : undefined
      }
    >
      {state === "unsaved" ? "● " : ""}
      {text}
    </span>
  );
}

export function RunProgress() {
  const run = useCurrentRun();
  if (!run) return null;
  const text =
    run.phase === "queued"
      ? "Waiting in queue…"
      : run.phase === "running"
        ? `Running: ${run.done}/${run.planned} nodes`
        : run.phase === "succeeded"
          ? `Done in ${((run.ms ?? 0) / 1000).toFixed(1)} s`
          : run.phase === "failed"
            ? "Run failed"
            : "Cancelled";
  return (
    <span
      className="pf-run-progress"
      data-testid="run-progress"
      data-phase={run.phase}
      data-run-id={run.runId}
    >
      {text}
    </span>
  );
}
