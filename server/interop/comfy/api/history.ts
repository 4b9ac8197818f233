/**
 * GET /history, /history/{id}, /queue and /view in ComfyUI's shapes, read from Petalflow's runs and
 * artifacts. A prompt's id is its Petalflow run id; an image's file name is `<artifact id>.png`, looked
 * up in the database (never a path), and reported on the ComfyUI node that made it.
 */
import type { App } from "../../../app";
import { readContent } from "../../../artifacts/files";
import { ARTIFACT_ID, UPLOAD_NAME } from "../../../artifacts/store";
import { hiddenHistory, notHidden } from "./forget";
import { comfyIdMap } from "./ids";
import { inputKey, inputNames } from "./inputs";
import { COMFY_CLIENT_PREFIX } from "./prompt";
import { type PromptRecord, readPromptRecord } from "./records";

export interface ComfyImageRef {
  filename: string;
  subfolder: string;
  type: "output" | "temp";
}

const FINISHED = ["succeeded", "failed", "cancelled", "interrupted"];

/** `<artifact id>.<ext>` for an artifact. */
export function imageRef(a: { id: string; kind: string; mimeType: string }): ComfyImageRef {
  return {
    filename: `${a.id}.${a.mimeType === "image/jpeg" ? "jpg" : "png"}`,
    subfolder: "",
    type: a.kind === "preview" ? "temp" : "output",
  };
}

type RunRow = {
  id: string;
  status: string;
  queueSeq: number;
  clientId: string | null;
  error: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
};
const runSelect = {
  id: true,
  status: true,
  queueSeq: true,
  clientId: true,
  error: true,
  startedAt: true,
  finishedAt: true,
  createdAt: true,
} as const;

/** [number, prompt_id, prompt, extra_data, outputs_to_execute], as ComfyUI's queue items are. */
function queueItem(run: RunRow, rec: PromptRecord | null): [number, string, unknown, unknown, string[]] {
  return [
    rec?.number ?? run.queueSeq,
    run.id,
    rec?.prompt ?? {},
    rec?.extra_data ?? { client_id: run.clientId?.slice(COMFY_CLIENT_PREFIX.length) ?? null },
    rec?.outputs_to_execute ?? [],
  ];
}

async function historyEntry(app: App, run: RunRow) {
  const rec = await readPromptRecord(app, run.id);
  const toComfy = comfyIdMap(Object.keys(rec?.prompt ?? {}));
  const artifacts = await app.db.artifact.findMany({
    where: { runId: run.id, kind: { in: ["image", "preview"] } },
    orderBy: { createdAt: "asc" },
    select: { id: true, nodeId: true, kind: true, mimeType: true },
  });
  const outputs: Record<string, { images: ComfyImageRef[] }> = {};
  for (const a of artifacts) {
    const node = toComfy(a.nodeId);
    outputs[node] ??= { images: [] };
    outputs[node].images.push(imageRef(a));
  }
  const ok = run.status === "succeeded";
  const at = (d: Date | null) => (d ?? run.createdAt).getTime();
  const end: [string, Record<string, unknown>] = ok
    ? ["execution_success", { prompt_id: run.id, timestamp: at(run.finishedAt) }]
    : run.status === "cancelled"
      ? ["execution_interrupted", { prompt_id: run.id, timestamp: at(run.finishedAt) }]
      : [
          "execution_error",
          { prompt_id: run.id, timestamp: at(run.finishedAt), ...errorInfo(run.error, toComfy) },
        ];
  return {
    prompt: queueItem(run, rec),
    outputs,
    status: {
      status_str: ok ? "success" : "error",
      completed: ok,
      messages: [["execution_start", { prompt_id: run.id, timestamp: at(run.startedAt) }], end],
    },
    meta: Object.fromEntries(
      Object.keys(outputs).map((node) => [node, { node_id: node, display_node: node }]),
    ),
  };
}

function errorInfo(error: string | null, toComfy: (id: string) => string) {
  let parsed: { message?: string; nodeId?: string; nodeType?: string } = {};
  try {
    parsed = error ? JSON.parse(error) : {};
  } catch {
    parsed = { message: error ?? "" };
  }
  return {
    node_id: parsed.nodeId ? toComfy(parsed.nodeId) : null,
    node_type: parsed.nodeType ?? null,
    exception_message: parsed.message ?? "",
    exception_type: "PetalflowError",
  };
}

/** GET /history (newest last, as ComfyUI's dict is ordered) of runs submitted here; `maxItems` newest. */
export async function history(app: App, maxItems: number | null): Promise<Record<string, unknown>> {
  const rows = await app.db.run.findMany({
    where: {
      clientId: { startsWith: COMFY_CLIENT_PREFIX },
      status: { in: FINISHED },
      ...notHidden(await hiddenHistory(app)),
    },
    orderBy: [{ queueSeq: "desc" }],
    take: Math.min(maxItems ?? 200, 1000),
    select: runSelect,
  });
  const out: Record<string, unknown> = {};
  for (const r of rows.reverse()) out[r.id] = await historyEntry(app, r);
  return out;
}

/**
 * GET /history/{id}: any finished Petalflow run by id; {} while it is queued or running, or once
 * POST /history cleared or deleted it, as ComfyUI does.
 */
export async function historyOf(app: App, promptId: string): Promise<Record<string, unknown>> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(promptId)) return {};
  const run = await app.db.run.findFirst({
    where: { AND: [{ id: promptId }, notHidden(await hiddenHistory(app))] },
    select: runSelect,
  });
  if (!run || !FINISHED.includes(run.status)) return {};
  return { [run.id]: await historyEntry(app, run) };
}

/** GET /queue: every running and queued Petalflow run (the queue is one queue). */
export async function queueView(app: App) {
  const [running, pending] = await Promise.all([
    app.db.run.findMany({ where: { status: "running" }, orderBy: { startedAt: "asc" }, select: runSelect }),
    app.db.run.findMany({
      where: { status: "queued" },
      orderBy: [{ priority: "desc" }, { queueSeq: "asc" }],
      take: 500,
      select: runSelect,
    }),
  ]);
  const items = (rows: RunRow[]) =>
    Promise.all(rows.map(async (r) => queueItem(r, await readPromptRecord(app, r.id))));
  return { queue_running: await items(running), queue_pending: await items(pending) };
}

/** GET /view: an output image by the file name /history gave, or an upload (type=input) by its name. */
export async function viewFile(
  app: App,
  q: URLSearchParams,
): Promise<{ bytes: Uint8Array; mimeType: string } | { status: number; message: string }> {
  const filename = q.get("filename") ?? "";
  const type = q.get("type") ?? "output";
  const subfolder = q.get("subfolder") ?? "";
  if (type === "input") {
    // ComfyUI's input folder: a name given at upload (in its subfolder), or the store's own name.
    const key = inputKey(filename, subfolder);
    const upload = key ? (await inputNames(app, [key])).get(key) : undefined;
    const m = upload ? UPLOAD_NAME.exec(upload) : null;
    const row = m
      ? await app.db.upload.findUnique({ where: { sha256: m[1] }, select: { path: true, mimeType: true } })
      : null;
    if (!row) return { status: 404, message: "no such upload" };
    return { bytes: await readContent(app.dataDir, row.path), mimeType: row.mimeType };
  }
  if (type !== "output" && type !== "temp") return { status: 400, message: "type is output, temp or input" };
  if (subfolder !== "")
    return { status: 404, message: "no such subfolder (output images are all at the top level)" };
  const m = /^([a-z0-9]+)\.(png|jpg)$/.exec(filename);
  if (!m || !ARTIFACT_ID.test(m[1])) return { status: 404, message: "no such image" };
  const row = await app.db.artifact.findUnique({
    where: { id: m[1] },
    select: { path: true, mimeType: true, kind: true },
  });
  if (!row || (row.kind !== "image" && row.kind !== "preview"))
    return { status: 404, message: "no such image" };
  try {
    return { bytes: await readContent(app.dataDir, row.path), mimeType: row.mimeType };
  } catch {
    return { status: 404, message: "the image's file is missing" };
  }
}
