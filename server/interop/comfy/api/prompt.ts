/**
 * POST /prompt: a ComfyUI API prompt → an ordinary Petalflow run in the queue. The importer's per-node
 * problems (errors only; approximations are warnings and run) and Petalflow's own validation come back
 * in ComfyUI's shape: `{error: {type, message, details, extra_info}, node_errors: {id: {errors,
 * dependent_outputs, class_type}}}` with status 400, as ComfyUI's server.py answers an invalid prompt.
 */

import { hasErrorCode } from "../../../../core/error-codes";
import type { App } from "../../../app";
import type { GraphInvalidError } from "../../../errors";
import { checkRunnable, planRun } from "../../../runs/plan";
import { importComfyJson } from "../index";
import { isComfyPrompt } from "../ir";
import { COMFY_SAMPLERS, COMFY_SCHEDULES } from "../sampler-names";
import { comfyIdMap, dependentOutputs } from "./ids";
import { inputNames } from "./inputs";
import { COMFY_GRAPH_NAME, comfyGraphVersion } from "./library";
import { savePromptRecord } from "./records";

export interface ComfyError {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

export interface NodeErrors {
  errors: ComfyError[];
  dependent_outputs: string[];
  class_type: string;
}

export type PromptAnswer =
  | { status: 200; body: { prompt_id: string; number: number; node_errors: Record<string, never> } }
  | {
      status: 400 | 429 | 503;
      body: { error: ComfyError | string; node_errors: Record<string, NodeErrors> };
    };

/** The `client_id` of a run submitted here is kept as the run's client id with this prefix. */
export const COMFY_CLIENT_PREFIX = "comfy:";

const bad = (type: string, message: string, details = "", node_errors: Record<string, NodeErrors> = {}) =>
  ({
    status: 400,
    body: { error: { type, message, details, extra_info: {} }, node_errors },
  }) as const;

export async function submitPrompt(app: App, body: unknown): Promise<PromptAnswer> {
  const b =
    body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  if (!b || !("prompt" in b)) return bad("no_prompt", "No prompt provided", 'the body has no "prompt" field');
  const prompt = b.prompt;
  if (!isComfyPrompt(prompt))
    return bad(
      "invalid_prompt",
      "Invalid prompt",
      '"prompt" must be an API-format prompt: an object of nodes, each {class_type, inputs}',
    );
  const nodes = prompt as Record<string, { class_type?: unknown; inputs?: unknown }>;
  const deps = dependentOutputs(nodes);
  if (!deps.outputs.length)
    return bad("prompt_no_outputs", "Prompt has no outputs", "add a SaveImage or PreviewImage node");
  const clientId = typeof b.client_id === "string" ? b.client_id.slice(0, 64) : "";
  // As ComfyUI does: the client_id travels in extra_data (history and queue items repeat it).
  const extra = {
    ...(b.extra_data && typeof b.extra_data === "object" ? b.extra_data : {}),
    ...(typeof b.client_id === "string" ? { client_id: b.client_id } : {}),
  };

  const models = (await app.runtime.services.models.list()).models.map((m) => m.id);
  const uploads = await knownUploads(app, nodes);
  const imported = importComfyJson(prompt, models, "ComfyUI API prompt", uploads);
  if (!imported) return bad("invalid_prompt", "Invalid prompt", "not an API-format prompt");

  // No prototype: node ids are the client's strings ("__proto__" included).
  const nodeErrors: Record<string, NodeErrors> = Object.create(null);
  const add = (id: string, e: ComfyError) => {
    nodeErrors[id] ??= {
      errors: [],
      dependent_outputs: deps.of(id),
      class_type: String(nodes[id]?.class_type ?? ""),
    };
    nodeErrors[id].errors.push(e);
  };
  const choices: Record<string, readonly string[]> = {
    ckpt_name: models,
    sampler_name: Object.keys(COMFY_SAMPLERS),
    scheduler: COMFY_SCHEDULES,
  };
  let unknownType: string | null = null;
  for (const p of imported.problems) {
    if (p.severity !== "error") continue;
    const missing = /^node type "(.*)" has no Petalflow equivalent/.exec(p.message);
    if (missing) unknownType ??= p.node;
    const received = p.field ? inputOf(nodes, p.node, p.field) : null;
    const options = p.field ? choices[p.field] : undefined;
    const loadImage = (p.type === "LoadImage" || p.type === "LoadImageMask") && p.field === "image";
    // ComfyUI's own error types and wording where there is one (clients match on `type`), with
    // Petalflow's explanation after it.
    add(p.node, {
      type: missing
        ? "invalid_prompt"
        : options
          ? "value_not_in_list"
          : loadImage
            ? "custom_validation_failed"
            : p.field
              ? "value_not_valid"
              : "node_not_supported",
      message: missing
        ? `Cannot execute because node ${missing[1]} does not exist.`
        : options
          ? "Value not in list"
          : loadImage
            ? "Custom validation failed for node"
            : p.message,
      details: options
        ? `${p.field}: '${String(received)}' not in [${options.map((o) => `'${o}'`).join(", ")}] (${p.message})`
        : loadImage
          ? `image - Invalid image file: ${String(received)} (upload it with POST /upload/image)`
          : p.field
            ? `${p.field}: ${p.message}`
            : p.message,
      extra_info: p.field ? { input_name: p.field, input_config: null, received_value: received } : {},
    });
  }
  if (unknownType !== null)
    return bad(
      "invalid_prompt",
      `Cannot execute because node ${String(nodes[unknownType]?.class_type)} does not exist.`,
      `Node ID '#${unknownType}'`,
      nodeErrors,
    );

  // Petalflow's own checks (a missing link, a value out of range), reported on the ComfyUI node.
  const toComfy = comfyIdMap(Object.keys(nodes));
  let doc: ReturnType<typeof checkRunnable> | null = null;
  try {
    doc = checkRunnable(imported.document);
  } catch (e) {
    if (!hasErrorCode(e, "GRAPH_INVALID")) throw e;
    for (const v of (e as GraphInvalidError).errors)
      add(v.nodeId ? toComfy(v.nodeId) : deps.outputs[0], {
        type: "value_not_valid",
        message: v.message,
        details: v.field ? `${v.field}: ${v.message}` : v.message,
        extra_info: v.field ? { input_name: v.field } : {},
      });
  }
  if (Object.keys(nodeErrors).length || !doc)
    return bad("prompt_outputs_failed_validation", "Prompt outputs failed validation", "", nodeErrors);

  // Kept in the library (one "ComfyUI API" graph, a version per distinct prompt): listed, shareable.
  const named = { ...doc, name: COMFY_GRAPH_NAME };
  const target = await comfyGraphVersion(app, named, clientId);
  const plan = planRun(target, named, {
    overrides: {},
    label: "ComfyUI API",
    priority: b.front === true ? 1 : 0,
  });
  let runId: string;
  try {
    [runId] = await app.queue.enqueue([plan], `${COMFY_CLIENT_PREFIX}${clientId}`);
  } catch (e) {
    if (hasErrorCode(e, "QUEUE_FULL"))
      return { status: 429, body: { error: (e as Error).message, node_errors: {} } };
    throw e;
  }
  const row = await app.db.run.findUniqueOrThrow({ where: { id: runId }, select: { queueSeq: true } });
  await savePromptRecord(app, runId, {
    number: row.queueSeq,
    prompt: nodes,
    extra_data: extra,
    outputs_to_execute: deps.outputs,
    client_id: clientId,
  });
  return { status: 200, body: { prompt_id: runId, number: row.queueSeq, node_errors: {} } };
}

function inputOf(nodes: Record<string, { inputs?: unknown }>, id: string, field: string): unknown {
  const inputs = nodes[id]?.inputs;
  return inputs && typeof inputs === "object" ? ((inputs as Record<string, unknown>)[field] ?? null) : null;
}

/** The LoadImage / LoadImageMask file names of the prompt that name images uploaded here → their upload names. */
function knownUploads(
  app: App,
  nodes: Record<string, { class_type?: unknown; inputs?: unknown }>,
): Promise<Map<string, string>> {
  const names = Object.values(nodes)
    .filter((n) => n.class_type === "LoadImage" || n.class_type === "LoadImageMask")
    .map((n) => (n.inputs as Record<string, unknown> | undefined)?.image)
    .filter((v): v is string => typeof v === "string");
  return inputNames(app, names);
}
