/**
 * WS /ws?clientId=: ComfyUI's websocket messages, translated from Petalflow's run events. Each socket
 * joins under its clientId (the `sid`); a prompt's messages go to the sockets of the client_id that
 * queued it, `status` (queue length) goes to all. Petalflow node ids are reported as the prompt's
 * ComfyUI node ids (a KSampler's noise, schedule and U-Net step all as the KSampler). Message order
 * follows ComfyUI's execution.py / main.py: execution_start, execution_cached, executing, progress,
 * executed, …, then execution_success | execution_error | execution_interrupted, then `executing` with
 * node null. Latent previews go out as ComfyUI's binary frames (type 1 = preview, format 2 = PNG).
 */
import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import type { App } from "../../../app";
import type { ServerRunEvent } from "../../../events/run-events";
import { streamRunEvents } from "../../../events/stream";
import { imageRef } from "./history";
import { comfyIdMap } from "./ids";

type Message = { type: string; data: Record<string, unknown> };

export class ComfyWsHub {
  readonly #clients = new Map<string, Set<WebSocket>>();

  /** Registers a socket; answers its sid (the clientId asked for, or a new one). */
  join(socket: WebSocket, clientId: string | null): string {
    const sid = clientId && /^[\w.:-]{1,64}$/.test(clientId) ? clientId : randomUUID().replace(/-/g, "");
    const set = this.#clients.get(sid) ?? new Set<WebSocket>();
    this.#clients.set(sid, set);
    set.add(socket);
    socket.on("close", () => {
      set.delete(socket);
      if (!set.size && this.#clients.get(sid) === set) this.#clients.delete(sid);
    });
    return sid;
  }

  /** The last `executing` sent to each client (node null: nothing running), for a socket that reconnects. */
  readonly #executing = new Map<string, Message>();

  send(sid: string, msg: Message | Buffer): void {
    if (!Buffer.isBuffer(msg) && msg.type === "executing") {
      if (msg.data.node === null) this.#executing.delete(sid);
      else this.#executing.set(sid, msg);
    }
    for (const s of this.#clients.get(sid) ?? []) sendOne(s, msg);
  }

  /** As ComfyUI does for a client whose prompt is executing: the current node again, after `status`. */
  resume(socket: WebSocket, sid: string): void {
    const current = this.#executing.get(sid);
    if (current) sendOne(socket, current);
  }

  broadcast(msg: Message): void {
    for (const set of this.#clients.values()) for (const s of set) sendOne(s, msg);
  }

  closeAll(): void {
    for (const set of this.#clients.values()) for (const s of set) s.terminate();
    this.#clients.clear();
  }
}

function sendOne(s: WebSocket, msg: Message | Buffer): void {
  if (s.readyState !== s.OPEN) return;
  s.send(Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
}

/** ComfyUI's `status` message: how many prompts are running or waiting. */
export async function statusMessage(app: App, sid?: string): Promise<Message> {
  const queue_remaining = await app.db.run.count({ where: { status: { in: ["queued", "running"] } } });
  return { type: "status", data: { status: { exec_info: { queue_remaining } }, ...(sid ? { sid } : {}) } };
}

/** ComfyUI's binary preview frame: u32 BE event type 1 (PREVIEW_IMAGE), u32 BE format 2 (PNG), the bytes. */
export function previewFrame(dataUrl: string): Buffer | null {
  const m = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
  if (!m) return null;
  const head = Buffer.alloc(8);
  head.writeUInt32BE(1, 0);
  head.writeUInt32BE(2, 4);
  return Buffer.concat([head, Buffer.from(m[1], "base64")]);
}

/**
 * Follows one run's events (stored, then live) and sends them to `clientId`'s sockets as ComfyUI's
 * messages until the run ends or `signal` aborts.
 */
export async function relayRun(
  app: App,
  hub: ComfyWsHub,
  runId: string,
  clientId: string,
  promptIds: readonly string[],
  signal: AbortSignal,
): Promise<void> {
  const toComfy = comfyIdMap(promptIds);
  const t = new RunTranslator(runId, toComfy);
  for await (const envelope of streamRunEvents(app, runId, null, signal)) {
    const event: ServerRunEvent = envelope[1];
    for (const msg of await t.translate(event, app)) hub.send(clientId, msg);
  }
}

/** Petalflow run events → ComfyUI messages, with the little state ComfyUI's order needs. */
export class RunTranslator {
  #current: string | null = null;
  #cached: string[] = [];
  #cachedSent = false;
  #executed: string[] = [];

  constructor(
    readonly promptId: string,
    readonly toComfy: (petalId: string) => string,
  ) {}

  #plan: string[] = [];
  #reported = new Set<string>();

  /** The ComfyUI nodes all of whose Petalflow nodes are cached, not yet reported. */
  #newlyCached(candidates: readonly string[]): string[] {
    const cached = new Set(this.#cached);
    const out: string[] = [];
    for (const petal of candidates) {
      const comfy = this.toComfy(petal);
      if (this.#reported.has(comfy)) continue;
      const parts = this.#plan.filter((p) => this.toComfy(p) === comfy);
      if (parts.every((p) => cached.has(p))) {
        this.#reported.add(comfy);
        out.push(comfy);
      }
    }
    return out;
  }

  /**
   * ComfyUI lists, before the first `executing`, the nodes whose outputs come from its cache. Petalflow
   * learns that node by node in execution order, so what is known then goes out first and any node
   * found cached later follows in another execution_cached (clients mark the listed nodes done). A
   * ComfyUI node made of several Petalflow nodes (a KSampler) counts only when all of them are cached.
   */
  #flushCached(out: (Message | Buffer)[]): void {
    if (this.#cachedSent) return;
    this.#cachedSent = true;
    out.push(
      this.#msg("execution_cached", { nodes: this.#newlyCached(this.#cached), timestamp: Date.now() }),
    );
  }

  #msg(type: string, data: Record<string, unknown>): Message {
    return { type, data: { ...data, prompt_id: this.promptId } };
  }

  #executing(node: string | null, out: (Message | Buffer)[]): void {
    if (node !== null && node === this.#current) return;
    this.#current = node;
    out.push(this.#msg("executing", { node, display_node: node }));
  }

  async translate(e: ServerRunEvent, app?: App): Promise<(Message | Buffer)[]> {
    const out: (Message | Buffer)[] = [];
    switch (e.type) {
      case "run.started":
        this.#plan = e.plan;
        out.push(this.#msg("execution_start", { timestamp: Date.now() }));
        break;
      case "node.cached":
        this.#cached.push(e.nodeId);
        if (this.#cachedSent) {
          const nodes = this.#newlyCached([e.nodeId]);
          if (nodes.length) out.push(this.#msg("execution_cached", { nodes, timestamp: Date.now() }));
        }
        break;
      case "node.started": {
        this.#flushCached(out);
        const node = this.toComfy(e.nodeId);
        this.#executing(node, out);
        if (!this.#executed.includes(node)) this.#executed.push(node);
        break;
      }
      case "node.progress": {
        const node = this.toComfy(e.nodeId);
        out.push(this.#msg("progress", { value: e.step, max: e.total, node }));
        const frame = e.preview ? previewFrame(e.preview.dataUrl) : null;
        if (frame) out.push(frame);
        break;
      }
      case "node.finished": {
        const images = (e.files ?? []).filter((f) => f.kind === "image" && f.artifactId);
        if (!images.length) break;
        // The artifact's kind (image, or preview for Preview Image) decides the ComfyUI type.
        const rows = app
          ? await app.db.artifact.findMany({
              where: { id: { in: images.map((f) => f.artifactId!) } },
              select: { id: true, kind: true, mimeType: true },
            })
          : images.map((f) => ({ id: f.artifactId!, kind: "image", mimeType: "image/png" }));
        const node = this.toComfy(e.nodeId);
        out.push(this.#msg("executed", { node, display_node: node, output: { images: rows.map(imageRef) } }));
        break;
      }
      case "run.finished":
        this.#flushCached(out);
        out.push(this.#msg("execution_success", { timestamp: Date.now() }));
        this.#executing(null, out);
        break;
      case "run.failed": {
        this.#flushCached(out);
        const node = e.error.nodeId ? this.toComfy(e.error.nodeId) : this.#current;
        out.push(
          this.#msg("execution_error", {
            node_id: node,
            node_type: e.error.nodeType ?? null,
            executed: this.#executed.filter((n) => n !== node),
            exception_message: e.error.message,
            exception_type: e.error.code ?? "PetalflowError",
            traceback: [],
            current_inputs: {},
            current_outputs: {},
            timestamp: Date.now(),
          }),
        );
        this.#executing(null, out);
        break;
      }
      case "run.cancelled":
      case "run.interrupted":
        this.#flushCached(out);
        out.push(
          this.#msg(e.type === "run.cancelled" ? "execution_interrupted" : "execution_error", {
            node_id: this.#current,
            node_type: null,
            executed: this.#executed.filter((n) => n !== this.#current),
            timestamp: Date.now(),
            ...(e.type === "run.interrupted"
              ? { exception_message: e.message, exception_type: "Interrupted", traceback: [] }
              : {}),
          }),
        );
        this.#executing(null, out);
        break;
    }
    return out;
  }
}
