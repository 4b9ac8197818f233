/**
 * What ComfyUI's history and queue repeat back about a prompt (its number, the prompt itself, the
 * extra_data, the output node ids, the client id): kept beside the run as a small JSON file in the
 * data directory, so /history still answers in ComfyUI's shape after a restart. The run itself is an
 * ordinary Petalflow run in the database.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { App } from "../../../app";

export interface PromptRecord {
  number: number;
  prompt: Record<string, unknown>;
  extra_data: unknown;
  outputs_to_execute: string[];
  client_id: string;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const dirOf = (app: App) => path.join(app.dataDir, "comfy-prompts");

export async function savePromptRecord(app: App, runId: string, record: PromptRecord): Promise<void> {
  if (!RUN_ID.test(runId)) throw new Error(`bad run id ${runId}`);
  await fs.mkdir(dirOf(app), { recursive: true });
  await fs.writeFile(path.join(dirOf(app), `${runId}.json`), JSON.stringify(record));
}

/** The record of a run submitted through the ComfyUI API, or null (another run, or not kept). */
export async function readPromptRecord(app: App, runId: string): Promise<PromptRecord | null> {
  if (!RUN_ID.test(runId)) return null;
  try {
    return JSON.parse(await fs.readFile(path.join(dirOf(app), `${runId}.json`), "utf8")) as PromptRecord;
  } catch {
    return null;
  }
}
