/**
 * The ComfyUI-compatible endpoint, driven the way ComfyUI's published script example
 * (script_examples/websockets_api_example.py) drives ComfyUI: open /ws?clientId=, POST /prompt with
 * {prompt, client_id}, read messages until `executing` with node null for our prompt_id, GET
 * /history/{id}, download each output image with /view. The app is the real one (real SQLite, the
 * worker, the bundled demo model) with the endpoint on a free loopback port.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type ComfyApiServer, startComfyApi } from "../../server/interop/comfy/api/server";
import { decodeImage, encodePng, readPngText } from "../../server/media/png";
import { judge } from "../helpers/judge";
import { makeTestApp, type TestApp, waitForRun } from "./helpers/app";

type Msg = { type: string; data: Record<string, unknown> };
type Prompt = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

/** The txt2img fixture with its checkpoint set to the demo model's name. */
function txt2img(): Prompt {
  const p = JSON.parse(fs.readFileSync("tests/fixtures/comfy/txt2img.prompt.json", "utf8")) as Prompt;
  p["4"].inputs.ckpt_name = "petalflow-shapes.safetensors";
  return p;
}

/** A websocket client collecting ComfyUI's messages (JSON text and binary preview frames). */
class Client {
  readonly messages: Msg[] = [];
  readonly frames: Buffer[] = [];
  readonly ws: WebSocket;
  #waiters: (() => void)[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on("message", (data, isBinary) => {
      if (isBinary) this.frames.push(data as Buffer);
      else this.messages.push(JSON.parse(String(data)) as Msg);
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
  }

  /** The first message matching `pred` (bounded for a stuck run, not for speed). */
  async waitFor(pred: (m: Msg) => boolean, timeoutMs = 120_000): Promise<Msg> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.messages.find(pred);
      if (hit) return hit;
      if (Date.now() > until)
        throw new Error(`no such message; got ${JSON.stringify(this.messages.map((m) => m.type))}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 1000);
      });
    }
  }
}

let t: TestApp;
let api: ComfyApiServer;
let base: string;

beforeAll(async () => {
  t = await makeTestApp({ env: { PETALFLOW_MODELS_DIR: path.resolve("models") } });
  api = await startComfyApi(t.app, { port: 0, host: "127.0.0.1" });
  base = `http://127.0.0.1:${api.port}`;
});

afterAll(async () => {
  await api?.close();
  await t?.close();
});

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(body), headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("ComfyUI-compatible API", () => {
  it("runs a prompt queued by a ComfyUI-style client: websocket messages, history, /view, the asked-for image", async () => {
    const clientId = "3f1c2b9a-test-client";
    const client = new Client(`ws://127.0.0.1:${api.port}/ws?clientId=${clientId}`);
    await client.opened();
    const status = await client.waitFor((m) => m.type === "status");
    expect(status.data).toEqual({ status: { exec_info: { queue_remaining: 0 } }, sid: clientId });

    const queued = await postJson(`${base}/prompt`, { prompt: txt2img(), client_id: clientId });
    expect(queued.status).toBe(200);
    expect(queued.body).toMatchObject({ node_errors: {} });
    const promptId = queued.body.prompt_id as string;
    expect(typeof promptId).toBe("string");
    expect(typeof queued.body.number).toBe("number");

    await client.waitFor(
      (m) => m.type === "executing" && m.data.node === null && m.data.prompt_id === promptId,
    );
    const mine = client.messages.filter((m) => m.data.prompt_id === promptId);
    const types = mine.map((m) => m.type);
    // ComfyUI's order: start, cached, executing…, success, then executing null.
    expect(types[0]).toBe("execution_start");
    expect(types[1]).toBe("execution_cached");
    expect(types.slice(-2)).toEqual(["execution_success", "executing"]);
    const executing = mine.filter((m) => m.type === "executing").map((m) => m.data.node);
    // Every node of the prompt, by its ComfyUI id; the KSampler's noise/schedule/U-Net step report as "3".
    expect(new Set(executing)).toEqual(new Set(["4", "5", "6", "7", "3", "8", "9", null]));
    // The sampler's steps report on the KSampler (other nodes, e.g. the VAE decode, may report too).
    const progress = mine.filter((m) => m.type === "progress" && m.data.node === "3");
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p.data.max).toBe(10);
    expect(progress.at(-1)?.data.value).toBe(10);
    for (const f of client.frames) {
      expect(f.readUInt32BE(0)).toBe(1);
      expect(f.readUInt32BE(4)).toBe(2);
      expect(f.subarray(8, 12).toString("latin1")).toBe("\x89PNG");
    }
    const executed = mine.find((m) => m.type === "executed");
    if (!executed) throw new Error("no executed message");
    expect(executed?.data.node).toBe("9");
    const images = (
      executed.data.output as { images: { filename: string; subfolder: string; type: string }[] }
    ).images;
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({ subfolder: "", type: "output" });

    const history = (await (await fetch(`${base}/history/${promptId}`)).json()) as Record<
      string,
      {
        prompt: unknown[];
        outputs: Record<string, { images: { filename: string; subfolder: string; type: string }[] }>;
        status: { status_str: string; completed: boolean; messages: [string, unknown][] };
      }
    >;
    const h = history[promptId];
    expect(h.status).toMatchObject({ status_str: "success", completed: true });
    expect(h.status.messages.map((m) => m[0])).toEqual(["execution_start", "execution_success"]);
    expect(h.prompt[0]).toBe(queued.body.number);
    expect(h.prompt[1]).toBe(promptId);
    expect(h.prompt[2]).toEqual(txt2img());
    expect(h.prompt[4]).toEqual(["9"]);
    expect(Object.keys(h.outputs)).toEqual(["9"]);
    expect(h.outputs["9"].images).toEqual(images);

    const img = h.outputs["9"].images[0];
    const view = await fetch(
      `${base}/view?${new URLSearchParams({ filename: img.filename, subfolder: img.subfolder, type: img.type })}`,
    );
    expect(view.status).toBe(200);
    expect(view.headers.get("content-type")).toBe("image/png");
    const decoded = decodeImage(new Uint8Array(await view.arrayBuffer()), { maxPixels: 1e6, maxBytes: 1e7 });
    expect([decoded.width, decoded.height]).toEqual([64, 64]);
    const j = judge(decoded.data, decoded.width, decoded.height, 4);
    // "a red circle on a blue background"
    expect(j.background, JSON.stringify(j)).toBe("blue");
    expect(j.color, JSON.stringify(j)).toBe("red");

    // An ordinary Petalflow run: in its runs list, with the image in the library's artifacts.
    const runs = await t.caller.runs.list({ limit: 10 });
    expect(runs.items.map((r) => r.id)).toContain(promptId);
    const run = await t.caller.runs.get({ id: promptId });
    expect(run.status).toBe("succeeded");
    expect(run.images.map((i) => `${i.id}.png`)).toEqual([img.filename]);
    // Kept in the library: a version of the "ComfyUI API" graph, shareable, whose share shows the image.
    expect(run.graphId).toBeTruthy();
    const graph = await t.caller.graphs.get({ id: run.graphId! });
    expect(graph.name).toBe("ComfyUI API");
    const share = await t.caller.shares.create({ versionId: run.graphVersionId! });
    const shared = await t.caller.shares.get({ token: share.token });
    expect(shared.images.map((i) => `${i.id}.png`)).toEqual([img.filename]);
    // And in the full history list.
    const all = (await (await fetch(`${base}/history`)).json()) as Record<string, unknown>;
    expect(Object.keys(all)).toContain(promptId);

    // No path traversal, no guessing: only artifact ids resolve.
    for (const bad of ["../petalflow.db", "..%2Fpetalflow.db", "x.png"]) {
      const r = await fetch(`${base}/view?filename=${bad}&type=output`);
      expect(r.status).toBe(404);
    }
    expect((await fetch(`${base}/view?filename=${img.filename}&subfolder=..&type=output`)).status).toBe(404);

    // The same prompt again: what the execution cache holds is reported as execution_cached.
    const again = await postJson(`${base}/prompt`, { prompt: txt2img(), client_id: clientId });
    const againId = again.body.prompt_id as string;
    await client.waitFor(
      (m) => m.type === "executing" && m.data.node === null && m.data.prompt_id === againId,
    );
    const cached = client.messages.find((m) => m.type === "execution_cached" && m.data.prompt_id === againId);
    // Everything up to the Save Image (which saves again), once per ComfyUI node.
    expect(new Set(cached?.data.nodes as string[])).toEqual(new Set(["3", "4", "5", "6", "7", "8"]));
    expect(cached?.data.nodes).toHaveLength(6);
    const h2 = (await (await fetch(`${base}/history/${againId}`)).json()) as typeof history;
    expect(h2[againId].status.status_str).toBe("success");
    expect(Object.keys(h2[againId].outputs)).toEqual(["9"]);
    // A new seed: the KSampler runs again (its noise does), so it is not listed even though its schedule is cached.
    const reseeded = txt2img();
    reseeded["3"].inputs.seed = 43;
    const third = await postJson(`${base}/prompt`, { prompt: reseeded, client_id: clientId });
    const thirdId = third.body.prompt_id as string;
    await client.waitFor(
      (m) => m.type === "executing" && m.data.node === null && m.data.prompt_id === thirdId,
    );
    const mine3 = client.messages.filter((m) => m.data.prompt_id === thirdId);
    expect(mine3.findIndex((m) => m.type === "execution_cached")).toBeLessThan(
      mine3.findIndex((m) => m.type === "executing"),
    );
    const cached3 = mine3
      .filter((m) => m.type === "execution_cached")
      .flatMap((m) => m.data.nodes as string[]);
    expect(cached3.sort()).toEqual(["4", "5", "6", "7"]);
    // Latent previews came as ComfyUI's binary frames (checked above).
    expect(client.frames.length).toBeGreaterThan(0);
    client.ws.close();
  }, 240_000);

  it("keeps a 64-bit seed exactly (JSON numbers above 2^53 are not rounded)", async () => {
    t.app.queue.setPaused(true);
    try {
      const text = JSON.stringify({ prompt: txt2img(), client_id: "seeds" }).replace(
        '"seed":42',
        '"seed":18446744073709551557',
      );
      expect(text).toContain("18446744073709551557");
      const res = await fetch(`${base}/prompt`, { method: "POST", body: text });
      const body = (await res.json()) as { prompt_id: string };
      expect(res.status, JSON.stringify(body)).toBe(200);
      const row = await t.app.db.run.findUniqueOrThrow({
        where: { id: body.prompt_id },
        select: { seeds: true },
      });
      expect(Object.values(JSON.parse(row.seeds))).toEqual(["18446744073709551557"]);
      await postJson(`${base}/queue`, { clear: true });
      expect((await t.caller.runs.get({ id: body.prompt_id })).status).toBe("cancelled");
    } finally {
      t.app.queue.setPaused(false);
    }
  });

  it("answers an invalid prompt with node_errors in ComfyUI's shape", async () => {
    const p = txt2img();
    p["4"].inputs.ckpt_name = "sd_xl_base_1.0.safetensors";
    p["3"].inputs.sampler_name = "dpmpp_3m_sde_gpu";
    const res = await postJson(`${base}/prompt`, { prompt: p, client_id: "x" });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      type: "prompt_outputs_failed_validation",
      message: "Prompt outputs failed validation",
      details: "",
      extra_info: {},
    });
    const ne = res.body.node_errors as Record<
      string,
      {
        errors: { type: string; message: string; details: string; extra_info: Record<string, unknown> }[];
        dependent_outputs: string[];
        class_type: string;
      }
    >;
    expect(Object.keys(ne).sort()).toEqual(["3", "4"]);
    expect(ne["4"].class_type).toBe("CheckpointLoaderSimple");
    expect(ne["4"].dependent_outputs).toEqual(["9"]);
    expect(ne["4"].errors[0]).toMatchObject({
      type: "value_not_in_list",
      message: "Value not in list",
      extra_info: { input_name: "ckpt_name", received_value: "sd_xl_base_1.0.safetensors" },
    });
    expect(ne["4"].errors[0].details).toMatch(
      /^ckpt_name: 'sd_xl_base_1.0.safetensors' not in \['petalflow-shapes'\]/,
    );
    expect(ne["3"].class_type).toBe("KSampler");
    expect(ne["3"].errors[0].type).toBe("value_not_in_list");
    expect(ne["3"].errors[0].details).toMatch(/^sampler_name: 'dpmpp_3m_sde_gpu' not in \[.*'euler'/);

    const unknown = txt2img();
    unknown["10"] = { class_type: "UltimateSDUpscale", inputs: { image: ["8", 0] } };
    const u = await postJson(`${base}/prompt`, { prompt: unknown });
    expect(u.status).toBe(400);
    expect(u.body.error).toMatchObject({
      type: "invalid_prompt",
      message: "Cannot execute because node UltimateSDUpscale does not exist.",
    });

    const noOut = txt2img();
    delete noOut["9"];
    expect((await postJson(`${base}/prompt`, { prompt: noOut })).body.error).toMatchObject({
      type: "prompt_no_outputs",
    });
    expect((await postJson(`${base}/prompt`, { nope: 1 })).status).toBe(400);
    const notJson = await fetch(`${base}/prompt`, { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);
    // Hostile shapes: a "__proto__" node id, junk nodes, a prompt that is an array: 400s, never a crash.
    const proto = JSON.parse(
      '{"prompt": {"__proto__": {"class_type": "SaveImage", "inputs": {"images": ["8", 0]}}, "8": {"class_type": "VAEDecode", "inputs": {}}}}',
    );
    const pr = await postJson(`${base}/prompt`, proto);
    expect(pr.status).toBe(400);
    expect(Object.keys(pr.body.node_errors as object).length).toBeGreaterThan(0);
    for (const junk of [{ prompt: [] }, { prompt: { "1": 5 } }, { prompt: { "1": { class_type: 7 } } }, []])
      expect((await postJson(`${base}/prompt`, junk)).status, JSON.stringify(junk)).toBe(400);
    // The server still answers.
    expect((await fetch(`${base}/queue`)).status).toBe(200);
  });

  it("lists the mapped nodes in /object_info with ComfyUI's input schema, and /system_stats", async () => {
    const info = (await (await fetch(`${base}/object_info`)).json()) as Record<
      string,
      { input: { required: Record<string, unknown[]> }; output: string[]; name: string; category: string }
    >;
    const ks = info.KSampler;
    expect(ks.name).toBe("KSampler");
    expect(ks.category).toBe("sampling");
    expect(ks.output).toEqual(["LATENT"]);
    expect(Object.keys(ks.input.required)).toEqual([
      "model",
      "seed",
      "steps",
      "cfg",
      "sampler_name",
      "scheduler",
      "positive",
      "negative",
      "latent_image",
      "denoise",
    ]);
    expect(ks.input.required.model).toEqual(["MODEL"]);
    expect(ks.input.required.steps[0]).toBe("INT");
    expect(ks.input.required.sampler_name[0]).toContain("euler");
    expect(ks.input.required.scheduler[0]).toContain("karras");
    expect(info.CheckpointLoaderSimple.input.required.ckpt_name[0]).toEqual(["petalflow-shapes"]);
    for (const n of [
      "CLIPTextEncode",
      "EmptyLatentImage",
      "VAEDecode",
      "SaveImage",
      "LoadImage",
      "KSamplerAdvanced",
      "CLIPTextEncodeSDXL",
      "CLIPTextEncodeSDXLRefiner",
      "LoadImageMask",
      "SetLatentNoiseMask",
      "VAEEncodeForInpaint",
      "InpaintModelConditioning",
    ])
      expect(info[n]?.name).toBe(n);
    // nodes_clip_sdxl.py's input order; CLIP skip down to Petalflow's 12 (SDXL: −13).
    expect(Object.keys(info.CLIPTextEncodeSDXL.input.required)).toEqual([
      "clip",
      "width",
      "height",
      "crop_w",
      "crop_h",
      "target_width",
      "target_height",
      "text_g",
      "text_l",
    ]);
    expect(info.CLIPSetLastLayer.input.required.stop_at_clip_layer[1]).toMatchObject({ min: -13, max: -1 });
    expect(info.InpaintModelConditioning.output).toEqual(["CONDITIONING", "CONDITIONING", "LATENT"]);
    const stats = (await (await fetch(`${base}/system_stats`)).json()) as {
      system: { comfyui_version: string };
      devices: unknown[];
    };
    expect(stats.system.comfyui_version).toMatch(/^petalflow-/);
    expect(stats.devices).toHaveLength(1);
  });

  it("without a token, refuses other sites' pages (Origin) on HTTP and on the websocket", async () => {
    const evil = { origin: "http://evil.example" };
    expect((await fetch(`${base}/queue`, { headers: evil })).status).toBe(403);
    expect((await postJson(`${base}/prompt`, { prompt: txt2img() }, evil)).status).toBe(403);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${api.port}/ws`, { origin: evil.origin });
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => undefined);
    });
    expect(status).toBe(403);
    // The same origin (a page served from this port) is fine.
    expect((await fetch(`${base}/queue`, { headers: { origin: base } })).status).toBe(200);
  });

  it("uploads an image that a LoadImage then loads; /queue shows and deletes a pending prompt", async () => {
    const png = encodePng({
      width: 64,
      height: 64,
      channels: 3,
      data: new Uint8Array(64 * 64 * 3).fill(200),
    });
    const form = new FormData();
    form.append("image", new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" }), "input.png");
    form.append("overwrite", "true");
    const up = await fetch(`${base}/upload/image`, { method: "POST", body: form });
    expect(up.status).toBe(200);
    const uploaded = (await up.json()) as { name: string; subfolder: string; type: string };
    // ComfyUI answers the name the client gave, which LoadImage and /view then use.
    expect(uploaded).toEqual({ name: "input.png", subfolder: "", type: "input" });
    const back = await fetch(`${base}/view?filename=input.png&type=input`);
    expect(back.status).toBe(200);
    expect(new Uint8Array(await back.arrayBuffer())).toEqual(png);
    expect((await fetch(`${base}/view?filename=../input.png&type=input`)).status).toBe(404);
    const info = (await (await fetch(`${base}/object_info/LoadImage`)).json()) as {
      LoadImage: { input: { required: { image: [string[]] } } };
    };
    expect(info.LoadImage.input.required.image[0]).toContain("input.png");

    const p = txt2img();
    p["10"] = { class_type: "LoadImage", inputs: { image: "input.png", upload: "image" } };
    p["11"] = { class_type: "VAEEncode", inputs: { pixels: ["10", 0], vae: ["4", 2] } };
    p["3"].inputs.latent_image = ["11", 0];
    p["3"].inputs.denoise = 0.5;
    delete p["5"];

    const missing = structuredClone(p);
    missing["10"].inputs.image = "example.png";
    const refused = await postJson(`${base}/prompt`, { prompt: missing });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body.node_errors as object)).toEqual(["10"]);
    expect(
      (refused.body.node_errors as Record<string, { errors: { type: string }[] }>)["10"].errors[0].type,
    ).toBe("custom_validation_failed");

    t.app.queue.setPaused(true);
    try {
      const ok = await postJson(`${base}/prompt`, { prompt: p, client_id: "uploader" });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      const id = ok.body.prompt_id as string;
      const q = (await (await fetch(`${base}/queue`)).json()) as {
        queue_running: unknown[];
        queue_pending: unknown[][];
      };
      expect(q.queue_running).toEqual([]);
      expect(q.queue_pending.map((i) => i[1])).toEqual([id]);
      expect(q.queue_pending[0][2]).toEqual(p);
      expect(q.queue_pending[0][3]).toEqual({ client_id: "uploader" });
      // The LoadImage loads the uploaded image (by its content-addressed name in the store).
      const row = await t.app.db.run.findUniqueOrThrow({ where: { id }, select: { document: true } });
      const doc = JSON.parse(row.document) as { nodes: { id: string; params: Record<string, unknown> }[] };
      expect(doc.nodes.find((n) => n.id === "c10")?.params.image).toMatch(/^[0-9a-f]{64}\.png$/);
      expect((await postJson(`${base}/queue`, { delete: [id] })).status).toBe(200);
      const after = (await (await fetch(`${base}/queue`)).json()) as { queue_pending: unknown[] };
      expect(after.queue_pending).toEqual([]);
      expect((await t.caller.runs.get({ id })).status).toBe("cancelled");
    } finally {
      t.app.queue.setPaused(false);
    }
  });

  it("/interrupt cancels the running prompt (execution_interrupted, then executing null)", async () => {
    const client = new Client(`ws://127.0.0.1:${api.port}/ws?clientId=interrupter`);
    await client.opened();
    const p = txt2img();
    p["3"].inputs.steps = 1000;
    const queued = await postJson(`${base}/prompt`, { prompt: p, client_id: "interrupter" });
    const id = queued.body.prompt_id as string;
    await client.waitFor((m) => m.type === "progress" && m.data.prompt_id === id);
    // A socket that (re)connects while its prompt runs is told the executing node, as ComfyUI does.
    const late = new Client(`ws://127.0.0.1:${api.port}/ws?clientId=interrupter`);
    await late.opened();
    await late.waitFor((m) => m.type === "executing" && m.data.node === "3");
    expect(late.messages[0].type).toBe("status");
    late.ws.close();
    expect((await postJson(`${base}/interrupt`, {})).status).toBe(200);
    await client.waitFor((m) => m.type === "executing" && m.data.node === null && m.data.prompt_id === id);
    const types = client.messages.filter((m) => m.data.prompt_id === id).map((m) => m.type);
    expect(types.slice(-2)).toEqual(["execution_interrupted", "executing"]);
    expect(await waitForRun(t.app, id)).toBe("cancelled");
    const h = (await (await fetch(`${base}/history/${id}`)).json()) as Record<
      string,
      { status: { status_str: string } }
    >;
    expect(h[id].status.status_str).toBe("error");
    client.ws.close();
  }, 240_000);

  it("/upload/mask puts the painted mask's alpha into the original (its RGB and text chunks kept), as ComfyUI's server does", async () => {
    const W = 8;
    const H = 4;
    const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 7) % 256);
    const original = encodePng(
      { width: W, height: H, channels: 3, data: rgb },
      { workflow: '{"nodes":[],"links":[]}' },
    );
    const up = new FormData();
    up.append("image", new Blob([original as Uint8Array<ArrayBuffer>], { type: "image/png" }), "photo.png");
    expect((await fetch(`${base}/upload/image`, { method: "POST", body: up })).status).toBe(200);
    // The mask editor's upload: RGBA, the mask in alpha (here 0, 32, 64, … across each row).
    const maskPixels = new Uint8Array(W * H * 4);
    for (let i = 0; i < W * H; i++) maskPixels[i * 4 + 3] = (i % W) * 32;
    const mask = encodePng({ width: W, height: H, channels: 4, data: maskPixels });
    const send = (m: Uint8Array, ref: string) => {
      const form = new FormData();
      form.append(
        "image",
        new Blob([m as Uint8Array<ArrayBuffer>], { type: "image/png" }),
        "clipspace-mask-1.png",
      );
      form.append("original_ref", ref);
      form.append("type", "input");
      form.append("subfolder", "clipspace");
      return fetch(`${base}/upload/mask`, { method: "POST", body: form });
    };
    const ref = JSON.stringify({ filename: "photo.png", subfolder: "", type: "input" });
    const res = await send(mask, ref);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: "clipspace-mask-1.png", subfolder: "clipspace", type: "input" });
    const view = await fetch(`${base}/view?filename=clipspace-mask-1.png&type=input&subfolder=clipspace`);
    expect(view.status).toBe(200);
    const bytes = new Uint8Array(await view.arrayBuffer());
    const got = decodeImage(bytes, { maxPixels: 1e6, maxBytes: 1e7 });
    expect([got.width, got.height]).toEqual([W, H]);
    for (let i = 0; i < W * H; i++) {
      expect([...got.data.subarray(i * 4, i * 4 + 3)], `pixel ${i}`).toEqual([
        ...rgb.subarray(i * 3, i * 3 + 3),
      ]);
      expect(got.data[i * 4 + 3], `alpha ${i}`).toBe((i % W) * 32);
    }
    expect(readPngText(bytes).workflow).toBe('{"nodes":[],"links":[]}');
    // /view's channel=a (how the mask editor reads it back) and channel=rgb.
    const q = "filename=clipspace-mask-1.png&type=input&subfolder=clipspace";
    const a = decodeImage(new Uint8Array(await (await fetch(`${base}/view?${q}&channel=a`)).arrayBuffer()), {
      maxPixels: 1e6,
      maxBytes: 1e7,
    });
    expect([...a.data.filter((_, i) => i % 4 === 3)]).toEqual(
      Array.from({ length: W * H }, (_, i) => (i % W) * 32),
    );
    expect(a.data.filter((_, i) => i % 4 !== 3).every((v) => v === 0)).toBe(true);
    const rgbView = decodeImage(
      new Uint8Array(await (await fetch(`${base}/view?${q}&channel=rgb`)).arrayBuffer()),
      {
        maxPixels: 1e6,
        maxBytes: 1e7,
      },
    );
    expect([...rgbView.data.filter((_, i) => i % 4 !== 3)]).toEqual([...rgb]);
    expect(rgbView.data.filter((_, i) => i % 4 === 3).every((v) => v === 255)).toBe(true);
    expect((await fetch(`${base}/view?${q}&channel=xyz`)).status).toBe(400);
    // Refusals say why: a mask of another size, an original that is not there, no original_ref.
    const small = encodePng({ width: 4, height: 4, channels: 4, data: new Uint8Array(64) });
    const wrong = await send(small, ref);
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe("the mask is 4×4 but the original is 8×4");
    expect((await send(mask, JSON.stringify({ filename: "nope.png", type: "input" }))).status).toBe(404);
    expect((await send(mask, "not json")).status).toBe(400);
    expect((await send(mask, JSON.stringify({ filename: "../etc/passwd", type: "input" }))).status).toBe(400);
  });

  it("/view_metadata describes an installed checkpoint; /features and the websocket's feature_flags answer as ComfyUI's", async () => {
    for (const name of ["petalflow-shapes.safetensors", "petalflow-shapes"]) {
      const res = await fetch(`${base}/view_metadata/checkpoints?filename=${name}`);
      expect(res.status, name).toBe(200);
      const meta = (await res.json()) as Record<string, string>;
      expect(meta["modelspec.title"]).toBe("petalflow-shapes");
      expect(meta._class_name).toBe("OnnxStableDiffusionPipeline");
      expect(Object.values(meta).every((v) => typeof v === "string")).toBe(true);
    }
    expect(
      (await fetch(`${base}/view_metadata/checkpoints?filename=sd_xl_base_1.0.safetensors`)).status,
    ).toBe(404);
    expect((await fetch(`${base}/view_metadata/loras?filename=petalflow-shapes.safetensors`)).status).toBe(
      404,
    );
    expect((await fetch(`${base}/api/view_metadata/checkpoints`)).status).toBe(404);
    const features = { supports_preview_metadata: false, max_upload_size: 20 * 1024 * 1024 };
    expect(await (await fetch(`${base}/features`)).json()).toEqual(features);
    const client = new Client(`ws://127.0.0.1:${api.port}/ws?clientId=flags`);
    await client.opened();
    client.ws.send(JSON.stringify({ type: "feature_flags", data: { supports_preview_metadata: true } }));
    expect((await client.waitFor((m) => m.type === "feature_flags")).data).toEqual(features);
    client.ws.close();
  });

  it("POST /history {delete} and {clear} drop entries from /history as ComfyUI does; the runs stay in Petalflow", async () => {
    const run = async (seed: number) => {
      const p = txt2img();
      p["3"].inputs.steps = 2;
      p["3"].inputs.seed = seed;
      const r = await postJson(`${base}/prompt`, { prompt: p, client_id: "historian" });
      expect(r.status).toBe(200);
      const id = r.body.prompt_id as string;
      expect(await waitForRun(t.app, id)).toBe("succeeded");
      return id;
    };
    const listed = async () => Object.keys(await (await fetch(`${base}/history`)).json());
    const one = async (id: string) => Object.keys(await (await fetch(`${base}/history/${id}`)).json());
    const a = await run(501);
    const b = await run(502);
    expect(await listed()).toEqual(expect.arrayContaining([a, b]));
    expect((await postJson(`${base}/history`, { delete: [a] })).status).toBe(200);
    expect(await listed()).not.toContain(a);
    expect(await listed()).toContain(b);
    expect(await one(a)).toEqual([]);
    expect((await postJson(`${base}/history`, { clear: true })).status).toBe(200);
    expect(await listed()).toEqual([]);
    expect(await one(b)).toEqual([]);
    // A prompt finished after the clear is listed; the cleared runs are still Petalflow runs.
    const c = await run(503);
    expect(await listed()).toEqual([c]);
    expect((await t.caller.runs.get({ id: a })).status).toBe("succeeded");
  }, 240_000);
});

describe("ComfyUI-compatible API with an access token", () => {
  let tt: TestApp;
  let server: ComfyApiServer;
  const token = "comfy-test-token-0123456789";

  beforeAll(async () => {
    tt = await makeTestApp({ startWorker: false, env: { PETALFLOW_TOKEN: token } });
    server = await startComfyApi(tt.app, { port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => {
    await server?.close();
    await tt?.close();
  });

  it("refuses requests and websockets without the token (401), accepts Bearer and ?token=", async () => {
    const b = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${b}/queue`)).status).toBe(401);
    expect(
      (await fetch(`${b}/queue`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status,
    ).toBe(401);
    expect((await postJson(`${b}/prompt`, { prompt: txt2img() })).status).toBe(401);
    expect((await fetch(`${b}/queue`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetch(`${b}/object_info?token=${token}`)).status).toBe(200);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?clientId=a`);
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => undefined);
    });
    expect(refused).toBe(401);
    const ok = new Client(`ws://127.0.0.1:${server.port}/ws?clientId=a&token=${token}`);
    await ok.opened();
    expect((await ok.waitFor((m) => m.type === "status")).data.sid).toBe("a");
    ok.ws.close();
  });

  it("will not listen beyond loopback without a token", async () => {
    const bare = await makeTestApp({ startWorker: false });
    try {
      await expect(startComfyApi(bare.app, { port: 0, host: "0.0.0.0" })).rejects.toThrow(/PETALFLOW_TOKEN/);
    } finally {
      await bare.close();
    }
  });
});
