/**
 * A ComfyUI API prompt imported through the real tRPC fetch handler (as the browser sends it), saved
 * in a real migrated SQLite library, run by the worker on the bundled demo model, to an image that
 * shows what the prompt asked.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trpcHandler } from "../../server/http/trpc-handler";
import { decodeImage, encodePng } from "../../server/media/png";
import { judge } from "../helpers/judge";
import { makeTestApp, type TestApp, waitForRun } from "./helpers/app";

let t: TestApp;
let handle: (req: Request) => Promise<Response>;

beforeAll(async () => {
  t = await makeTestApp({ env: { PETALFLOW_MODELS_DIR: path.resolve("models") } });
  handle = trpcHandler(async () => t.app);
});

afterAll(async () => {
  await t?.close();
});

async function post<T>(proc: string, input: unknown): Promise<T> {
  const res = await handle(
    new Request(`http://localhost/api/trpc/${proc}`, {
      method: "POST",
      headers: { "content-type": "application/json", host: "localhost", origin: "http://localhost" },
      body: JSON.stringify(input),
    }),
  );
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${proc}: ${res.status} ${JSON.stringify(body.error)}`);
  return body.result.data;
}

describe("ComfyUI import end to end", () => {
  it("imports a ComfyUI API prompt over HTTP and runs it on the demo model to the asked-for image", async () => {
    const text = fs.readFileSync("tests/fixtures/comfy/txt2img.prompt.json", "utf8");
    const imported = await post<{
      graph: { id: string; headVersion: { id: string; document: { nodes: { id: string; type: string }[] } } };
      problems: unknown[];
      foreign: { source: string; problems: unknown[] } | null;
    }>("graphs.import", { source: { kind: "json", text } });
    expect(imported.foreign).toEqual({ source: "comfy-prompt", problems: [] });
    expect(imported.problems).toEqual([]);
    const types = imported.graph.headVersion.document.nodes.map((n) => n.type).sort();
    expect(types).toEqual(
      [
        "model-loader",
        "text-encoder",
        "text-encoder",
        "empty-latent",
        "noise",
        "scheduler",
        "unet-step",
        "vae-decode",
        "save-image",
      ].sort(),
    );

    // And back out in ComfyUI's API format, over HTTP (a tRPC query).
    const res = await handle(
      new Request(
        `http://localhost/api/trpc/graphs.exportComfy?input=${encodeURIComponent(JSON.stringify({ id: imported.graph.id }))}`,
        { headers: { host: "localhost", origin: "http://localhost" } },
      ),
    );
    const exported = (
      (await res.json()) as {
        result: {
          data: {
            prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
            problems: unknown[];
          };
        };
      }
    ).result.data;
    expect(exported.problems).toEqual([]);
    const ks = Object.values(exported.prompt).find((n) => n.class_type === "KSampler");
    const original = JSON.parse(text)["3"].inputs;
    for (const k of ["seed", "steps", "cfg", "sampler_name", "scheduler", "denoise"])
      expect(ks?.inputs[k], k).toEqual(original[k]);

    const { runs } = await post<{ runs: { id: string }[] }>("runs.enqueue", {
      versionId: imported.graph.headVersion.id,
    });
    expect(await waitForRun(t.app, runs[0].id, 120_000)).toBe("succeeded");
    const run = await t.caller.runs.get({ id: runs[0].id });
    expect(run.images).toHaveLength(1);
    expect(run.images[0]).toMatchObject({ width: 64, height: 64, seed: "42", nodeId: "c9" });
    const row = await t.app.db.artifact.findUniqueOrThrow({ where: { id: run.images[0].id } });
    const img = decodeImage(fs.readFileSync(path.join(t.app.dataDir, row.path)), {
      maxPixels: 1e6,
      maxBytes: 1e7,
    });
    const j = judge(img.data, img.width, img.height, 4);
    // "a red circle on a blue background"
    expect(j.background, JSON.stringify(j)).toBe("blue");
    expect(j.color, JSON.stringify(j)).toBe("red");
  }, 180_000);

  it("imports a ComfyUI PNG (workflow + prompt chunks) over HTTP, reporting the missing image upload", async () => {
    const chunks = {
      workflow: fs.readFileSync("tests/fixtures/comfy/img2img.workflow.json", "utf8"),
      prompt: fs.readFileSync("tests/fixtures/comfy/img2img.prompt.json", "utf8"),
    };
    const png = encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(7) }, chunks);
    const imported = await post<{
      graph: { name: string };
      foreign: { source: string; problems: { node: string; field: string }[] };
    }>("graphs.import", { source: { kind: "png", base64: Buffer.from(png).toString("base64") } });
    expect(imported.graph.name).toBe("Imported ComfyUI image");
    expect(imported.foreign.source).toBe("comfy-workflow");
    expect(imported.foreign.problems.map((p) => `${p.node}:${p.field}`)).toEqual(["10:image"]);
  });

  it("exports a saved graph and an unsaved document as a ComfyUI UI workflow over HTTP, which imports back", async () => {
    const text = fs.readFileSync("tests/fixtures/comfy/ksampler-advanced.workflow.json", "utf8");
    const imported = await post<{
      graph: { id: string; headVersion: { document: { nodes: { type: string; params: object }[] } } };
    }>("graphs.import", { source: { kind: "json", text } });
    const res = await handle(
      new Request(
        `http://localhost/api/trpc/graphs.exportComfy?input=${encodeURIComponent(JSON.stringify({ id: imported.graph.id, format: "workflow" }))}`,
        { headers: { host: "localhost", origin: "http://localhost" } },
      ),
    );
    type Out = {
      format: string;
      json: string;
      workflow: { nodes: { type: string; widgets_values: unknown[] }[]; links: unknown[]; version: number };
      problems: unknown[];
    };
    const saved = ((await res.json()) as { result: { data: Out } }).result.data;
    expect(saved.format).toBe("workflow");
    expect(saved.workflow.version).toBe(0.4);
    expect(JSON.parse(saved.json)).toEqual(saved.workflow);
    const advanced = saved.workflow.nodes.filter((n) => n.type === "KSamplerAdvanced");
    expect(advanced.map((n) => n.widgets_values[0]).sort()).toEqual(["disable", "enable"]);
    // The editor's path: an unsaved document (the LoraLoader left out, so an unlinked clip is reported).
    const doc = imported.graph.headVersion.document;
    const unsaved = await post<Out>("graphs.toComfy", { document: doc, format: "workflow" });
    expect(unsaved.workflow).toEqual(saved.workflow);
    const back = await post<{
      foreign: { source: string };
      graph: { headVersion: { document: typeof doc } };
    }>("graphs.import", { source: { kind: "json", text: unsaved.json } });
    expect(back.foreign.source).toBe("comfy-workflow");
    const samplers = (d: typeof doc) => d.nodes.filter((n) => n.type === "unet-step").map((n) => n.params);
    expect(samplers(back.graph.headVersion.document)).toEqual(samplers(doc));
  });
});
