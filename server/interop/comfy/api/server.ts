/**
 * The opt-in ComfyUI-compatible endpoint (PETALFLOW_COMFY_PORT): ComfyUI's HTTP routes and /ws on a
 * port of their own, in the server process, so prompts sent here are ordinary runs of this queue. Bound
 * like the main server (HOST, loopback by default; a non-loopback HOST needs PETALFLOW_TOKEN). With a
 * token every request needs it, as `Authorization: Bearer` or `?token=` (ComfyUI clients can add a
 * query parameter more easily than a header); without one, the same-origin guard of the main API.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { WebSocketServer } from "ws";
import { hasErrorCode } from "../../../../core/error-codes";
import type { App } from "../../../app";
import { storeUpload } from "../../../artifacts/store";
import { isAuthorized, tokenFromHeaders } from "../../../auth";
import { DISK_FULL_MESSAGE, isDiskFull } from "../../../db/disk-full";
import { bindAddress, isLoopback } from "../../../env";
import { guardLocalRequest } from "../../../http/guard";
import { parseComfyJson } from "../json";
import { forgetHistory } from "./forget";
import { history, historyOf, queueView, viewFile } from "./history";
import { inputKey, inputNames, rememberInput } from "./inputs";
import { uploadMask, viewChannel } from "./mask";
import { viewMetadata } from "./metadata";
import { objectInfo } from "./object-info";
import { COMFY_CLIENT_PREFIX, submitPrompt } from "./prompt";
import { readPromptRecord } from "./records";
import { ComfyWsHub, relayRun, statusMessage } from "./ws";

const MiB = 1024 * 1024;

export interface ComfyApiServer {
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function toHeaders(req: http.IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === "string") h.set(k, v);
    else if (Array.isArray(v)) h.set(k, v.join(", "));
  return h;
}

/** Refusal (status, message) for a request without the token / failing the same-origin guard, else null. */
async function refusal(app: App, req: http.IncomingMessage, url: URL): Promise<[number, string] | null> {
  const headers = toHeaders(req);
  const token = app.env.PETALFLOW_TOKEN;
  if (token) {
    if (isAuthorized(token, tokenFromHeaders(headers) ?? url.searchParams.get("token"))) return null;
    return [401, "this server needs its access token (Authorization: Bearer <token>, or ?token=)"];
  }
  const refused = guardLocalRequest(app.env, new Request("http://localhost/", { headers }));
  if (!refused) return null;
  return [refused.status, ((await refused.json()) as { error: string }).error];
}

async function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  const announced = Number(req.headers["content-length"] ?? "");
  if (Number.isFinite(announced) && announced > max)
    throw new HttpError(413, `the body is over ${max} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req) {
    total += (c as Buffer).byteLength;
    if (total > max) throw new HttpError(413, `the body is over ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readJson(req: http.IncomingMessage, max: number): Promise<unknown> {
  const text = (await readBody(req, max)).toString("utf8");
  if (!text.trim()) return {};
  try {
    // Seeds above 2^53 stay exact (as decimal strings), as ComfyUI's Python reads them.
    return parseComfyJson(text);
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`);
  }
}

/** ComfyUI's server feature flags (comfy_api/feature_flags.py): no preview metadata frames; the upload limit. */
function featureFlags(app: App) {
  return { supports_preview_metadata: false, max_upload_size: app.env.PETALFLOW_MAX_UPLOAD_MB * MiB };
}

export async function startComfyApi(
  app: App,
  opts: { port: number; host?: string },
): Promise<ComfyApiServer> {
  const host = opts.host ?? app.env.HOST;
  if (!isLoopback(host) && !app.env.PETALFLOW_TOKEN)
    throw new Error(
      `the ComfyUI-compatible endpoint would listen on ${host}, which is not a loopback address: set PETALFLOW_TOKEN`,
    );
  const hub = new ComfyWsHub();
  const stop = new AbortController();
  const relays = new Set<Promise<void>>();
  const relay = (runId: string, clientId: string, promptIds: string[]) => {
    const p = relayRun(app, hub, runId, clientId, promptIds, stop.signal)
      .catch((e: Error) => app.log(`ComfyUI websocket relay of ${runId} stopped: ${e.message}`))
      .finally(() => relays.delete(p));
    relays.add(p);
  };
  // Runs submitted here that are still queued or running when the server starts (a restart) relay too.
  for (const r of await app.db.run.findMany({
    where: { clientId: { startsWith: COMFY_CLIENT_PREFIX }, status: { in: ["queued", "running"] } },
    select: { id: true, clientId: true },
  })) {
    const rec = await readPromptRecord(app, r.id);
    relay(r.id, r.clientId!.slice(COMFY_CLIENT_PREFIX.length), Object.keys(rec?.prompt ?? {}));
  }
  // `status` to every socket when the queue changes (coalesced: one count per burst of changes).
  let statusPending = false;
  const offQueue = app.bus.onQueue(() => {
    if (statusPending) return;
    statusPending = true;
    setImmediate(() => {
      statusPending = false;
      statusMessage(app)
        .then((m) => hub.broadcast(m))
        .catch(() => undefined);
    });
  });

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const method = req.method ?? "GET";
    const p = url.pathname.replace(/^\/api(?=\/)/, ""); // the new frontend prefixes /api
    const maxJson = app.env.PETALFLOW_MAX_REQUEST_MB * MiB;
    if (method === "POST" && p === "/prompt") {
      const answer = await submitPrompt(app, await readJson(req, maxJson));
      if (answer.status === 200) {
        const rec = await readPromptRecord(app, answer.body.prompt_id);
        relay(answer.body.prompt_id, rec?.client_id ?? "", Object.keys(rec?.prompt ?? {}));
      }
      return json(res, answer.status, answer.body);
    }
    if (method === "GET" && p === "/prompt") {
      const m = await statusMessage(app);
      return json(res, 200, { exec_info: (m.data.status as { exec_info: unknown }).exec_info });
    }
    if (method === "GET" && p === "/history") {
      const max = Number(url.searchParams.get("max_items"));
      return json(res, 200, await history(app, Number.isInteger(max) && max > 0 ? max : null));
    }
    const hist = /^\/history\/([^/]+)$/.exec(p);
    if (method === "GET" && hist) return json(res, 200, await historyOf(app, decodeURIComponent(hist[1])));
    if (method === "POST" && p === "/history") {
      // Petalflow keeps its runs: a clear or delete only stops /history listing them.
      const body = (await readJson(req, maxJson)) as { clear?: unknown; delete?: unknown } | null;
      if (body && typeof body === "object") await forgetHistory(app, body);
      return json(res, 200, {});
    }
    const meta = /^\/view_metadata\/([^/]+)$/.exec(p);
    if (method === "GET" && meta) {
      const got = await viewMetadata(app, decodeURIComponent(meta[1]), url.searchParams.get("filename"));
      return got ? json(res, 200, got) : json(res, 404, { error: "no such checkpoint, or no metadata" });
    }
    if (method === "GET" && p === "/features") return json(res, 200, featureFlags(app));
    if (method === "GET" && p === "/view") {
      const got = await viewFile(app, url.searchParams);
      if ("status" in got) return json(res, got.status, { error: got.message });
      const channel = url.searchParams.get("channel") ?? "rgba";
      const bytes = await viewChannel(got.bytes, channel, {
        maxPixels: app.env.PETALFLOW_MAX_PIXELS,
        maxBytes: app.env.PETALFLOW_MAX_UPLOAD_MB * MiB,
      });
      if ("status" in bytes) return json(res, bytes.status, { error: bytes.message });
      res.writeHead(200, {
        "content-type": channel === "rgba" ? got.mimeType : "image/png",
        "content-length": String(bytes.byteLength),
        "x-content-type-options": "nosniff",
        "content-disposition": `filename="${url.searchParams.get("filename")}"`,
      });
      return res.end(bytes);
    }
    if (method === "GET" && p === "/queue") return json(res, 200, await queueView(app));
    if (method === "POST" && p === "/queue") {
      const body = (await readJson(req, maxJson)) as { clear?: unknown; delete?: unknown };
      // Only runs queued through this endpoint: a ComfyUI tool does not empty the editor's queue.
      const mine = { clientId: { startsWith: COMFY_CLIENT_PREFIX }, status: "queued" } as const;
      const ids: string[] = [];
      if (body?.clear === true)
        ids.push(...(await app.db.run.findMany({ where: mine, select: { id: true } })).map((r) => r.id));
      if (Array.isArray(body?.delete))
        ids.push(...body.delete.filter((d): d is string => typeof d === "string"));
      for (const id of ids.slice(0, 10_000))
        if (/^[A-Za-z0-9_-]{1,64}$/.test(id)) await app.queue.cancelQueued(id);
      return json(res, 200, {});
    }
    if (method === "POST" && p === "/interrupt") {
      const body = (await readJson(req, maxJson)) as { prompt_id?: unknown };
      const running = await app.db.run.findMany({
        where: {
          status: "running",
          clientId: { startsWith: COMFY_CLIENT_PREFIX },
          ...(typeof body?.prompt_id === "string" ? { id: body.prompt_id } : {}),
        },
        select: { id: true },
      });
      for (const r of running) app.worker.cancel(r.id);
      return json(res, 200, {});
    }
    const one = /^\/object_info(?:\/([^/]+))?$/.exec(p);
    if (method === "GET" && one) {
      const models = (await app.runtime.services.models.list()).models.map((m) => m.id);
      const info = objectInfo({ models, uploads: [...(await inputNames(app)).keys()] });
      if (one[1] === undefined) return json(res, 200, info);
      const name = decodeURIComponent(one[1]);
      return json(res, 200, name in info ? { [name]: info[name] } : {});
    }
    if (method === "GET" && p === "/system_stats") {
      return json(res, 200, {
        system: {
          os: process.platform,
          ram_total: os.totalmem(),
          ram_free: os.freemem(),
          comfyui_version: `petalflow-${app.version}`,
          python_version: "",
          pytorch_version: "",
          embedded_python: false,
          argv: [],
        },
        devices: [
          {
            name: `petalflow (${app.env.PETALFLOW_PROVIDER})`,
            type: app.env.PETALFLOW_PROVIDER === "cuda" ? "cuda" : "cpu",
            index: 0,
            vram_total: 0,
            vram_free: 0,
            torch_vram_total: 0,
            torch_vram_free: 0,
          },
        ],
      });
    }
    if (method === "POST" && p === "/upload/image") return upload(req, res, "image");
    if (method === "POST" && p === "/upload/mask") return upload(req, res, "mask");
    if (method === "POST" && p === "/free") {
      // ComfyUI's {unload_models, free_memory}: the loaded models, and with free_memory the output cache.
      const body = (await readJson(req, maxJson)) as { unload_models?: unknown; free_memory?: unknown };
      if (body?.unload_models === true || body?.free_memory === true)
        await app.runner.free({ outputs: body.free_memory === true });
      return json(res, 200, {});
    }
    // What ComfyUI's own frontend and some tools ask for first.
    if (method === "GET" && (p === "/embeddings" || p === "/extensions")) return json(res, 200, []);
    if (method === "GET" && p === "/models") return json(res, 200, ["checkpoints"]);
    if (method === "GET" && p === "/models/checkpoints")
      return json(
        res,
        200,
        (await app.runtime.services.models.list()).models.map((m) => m.id),
      );
    throw new HttpError(404, `no route ${method} ${p}`);
  };

  /** /upload/image, or /upload/mask (the mask's alpha put into the image named by original_ref). */
  const upload = async (req: http.IncomingMessage, res: http.ServerResponse, kind: "image" | "mask") => {
    const type = req.headers["content-type"] ?? "";
    if (!type.startsWith("multipart/form-data"))
      throw new HttpError(400, 'send a multipart form with an "image" file');
    const maxFile = app.env.PETALFLOW_MAX_UPLOAD_MB * MiB;
    const body = await readBody(req, maxFile + 64 * 1024).catch((e) => {
      throw e instanceof HttpError && e.status === 413
        ? new HttpError(413, `the image is over the upload limit of ${app.env.PETALFLOW_MAX_UPLOAD_MB} MiB`)
        : e;
    });
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(body) as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": type },
      }).formData();
    } catch {
      throw new HttpError(400, "the multipart form could not be read");
    }
    const file = form.get("image");
    if (!file || typeof file === "string") throw new HttpError(400, 'the form has no "image" file');
    try {
      if (kind === "mask") {
        const got = await uploadMask(app, form, file, maxFile);
        if ("status" in got) throw new HttpError(got.status, got.message);
        return json(res, 200, got);
      }
      const stored = await storeUpload(app.db, app.dataDir, new Uint8Array(await file.arrayBuffer()), {
        maxPixels: app.env.PETALFLOW_MAX_PIXELS,
        maxBytes: maxFile,
      });
      // The client's own name (and subfolder) stays usable in LoadImage; an unusable one gets the store's.
      const subfolder = String(form.get("subfolder") ?? "");
      const key = inputKey(file.name, subfolder);
      if (key) await rememberInput(app, key, stored.name);
      return json(
        res,
        200,
        key
          ? { name: file.name, subfolder, type: "input" }
          : { name: stored.name, subfolder: "", type: "input" },
      );
    } catch (e) {
      if (hasErrorCode(e, "UPLOAD_REJECTED"))
        throw new HttpError(400, `not accepted: ${(e as Error).message}`);
      if (isDiskFull(e)) throw new HttpError(507, DISK_FULL_MESSAGE);
      throw e;
    }
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    refusal(app, req, url)
      .then((refused) => (refused ? json(res, refused[0], { error: refused[1] }) : route(req, res, url)))
      .catch((e: Error) => {
        if (res.headersSent) return res.destroy();
        if (e instanceof HttpError) return json(res, e.status, { error: e.message });
        app.log(`ComfyUI endpoint: ${req.method} ${url.pathname} failed: ${e.stack ?? e.message}`);
        json(res, 500, { error: "internal error" });
      });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const p = url.pathname.replace(/^\/api(?=\/)/, "");
    refusal(app, req, url)
      .then((refused) => {
        if (p !== "/ws" || refused) {
          const [status, msg] = refused ?? [404, "no such websocket"];
          socket.end(
            `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${msg}`,
          );
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => {
          const sid = hub.join(ws, url.searchParams.get("clientId"));
          // A client announcing its feature flags gets the server's, as ComfyUI answers.
          ws.on("message", (data, isBinary) => {
            if (isBinary) return;
            try {
              if ((JSON.parse(String(data)) as { type?: unknown }).type === "feature_flags")
                ws.send(JSON.stringify({ type: "feature_flags", data: featureFlags(app) }));
            } catch {
              // not JSON: ComfyUI ignores it too
            }
          });
          statusMessage(app, sid)
            .then((m) => {
              ws.send(JSON.stringify(m));
              hub.resume(ws, sid);
            })
            .catch(() => undefined);
        });
      })
      .catch(() => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, bindAddress(host), () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    async close() {
      offQueue();
      stop.abort();
      hub.closeAll();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.allSettled([...relays]);
    },
  };
}
