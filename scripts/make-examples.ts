/**
 * Writes the example documents in examples/ (also the editor's "New from template" list) from the node
 * registry, so their node versions and defaults are always current: `npx tsx scripts/make-examples.ts`.
 */
import { writeFileSync } from "node:fs";
import {
  canonicalJson,
  type DocumentEdge,
  type DocumentNode,
  emptyDocument,
  type GraphDocument,
} from "../core/graph/document";
import { defaultParams } from "../core/node/define";
import { registry } from "../nodes/registry";
import { encodePng } from "../server/media/png";

class Builder {
  doc: GraphDocument;
  private edges = 0;
  constructor(name: string, description: string) {
    this.doc = { ...emptyDocument(name), description };
  }
  node(
    id: string,
    type: string,
    x: number,
    y: number,
    params: Record<string, unknown> = {},
    title?: string,
  ): string {
    const def = registry.get(type);
    if (!def) throw new Error(`unknown node type ${type}`);
    const n: DocumentNode = {
      id,
      type,
      version: def.version,
      position: { x, y },
      params: { ...defaultParams(def), ...params },
      mode: "normal",
    };
    if (title) n.title = title;
    this.doc.nodes.push(n);
    return id;
  }
  link(from: string, to: string): void {
    const [fn, fp] = from.split(".");
    const [tn, tp] = to.split(".");
    const e: DocumentEdge = {
      id: `e${++this.edges}`,
      from: { node: fn, port: fp },
      to: { node: tn, port: tp },
    };
    this.doc.edges.push(e);
  }
  note(id: string, text: string, x: number, y: number, size?: { width: number; height: number }): void {
    this.doc.notes.push({ id, text, position: { x, y }, ...(size ? { size } : {}) });
  }
}

/*
 * Layout: columns COL apart (nodes are 250 wide) and rows spaced by the nodes' rendered heights (about:
 * Model Loader 134, Text Encoder 146, Scheduler with its plot 426, Empty Latent 147, Noise 200, U-Net
 * step 324, VAE Decode/Encode 78, Load Image 185, Save Image 134 and ≈ 330 once it shows a result), so
 * that no two nodes overlap (tests/e2e/templates-layout.spec.ts checks it as rendered). Text to image
 * and Image to image take four columns, about 1120 × 800: whole at the readable zoom (0.8) on the
 * canvas of a 1440 × 900 window.
 */
const COL = 290;

/** Model Loader, the two prompts (from `promptsY` down) and the Scheduler (column 2, at the top). */
function base(b: Builder, prompt: string, negative: string, promptsY = 0) {
  b.node("model", "model-loader", 0, 0);
  b.node("positive", "text-encoder", COL, promptsY, { text: prompt }, "Positive prompt");
  b.node("negative", "text-encoder", COL, promptsY + 190, { text: negative }, "Negative prompt");
  b.link("model.textEncoder", "positive.textEncoder");
  b.link("model.textEncoder", "negative.textEncoder");
  b.node("schedule", "scheduler", 2 * COL, 0, { algorithm: "ddim", steps: 25 });
  b.link("model.unet", "schedule.unet");
}

/** U-Net step "sampler" (fed by base()'s nodes, "noise" and `latentFrom`) → VAE Decode → Save Image. */
function sampleDecodeSave(b: Builder, latentFrom: string, params: Record<string, unknown>, prefix: string) {
  b.node("sampler", "unet-step", 3 * COL, 0, params);
  b.link("model.unet", "sampler.unet");
  b.link("positive.conditioning", "sampler.positive");
  b.link("negative.conditioning", "sampler.negative");
  b.link(latentFrom, "sampler.latent");
  b.link("noise.noise", "sampler.noise");
  b.link("schedule.schedule", "sampler.schedule");
  b.node("decode", "vae-decode", 3 * COL, 360);
  b.link("model.vae", "decode.vae");
  b.link("sampler.latent", "decode.latent");
  b.node("save", "save-image", 3 * COL, 470, { prefix });
  b.link("decode.image", "save.image");
}

// txt2img
{
  const b = new Builder("Text to image", "A prompt turns into a 64×64 picture with the bundled demo model.");
  base(b, "a red circle on a blue background", "");
  b.node("latent", "empty-latent", 0, 180, { width: 64, height: 64, batch: 1 });
  b.node("noise", "noise", 2 * COL, 460, { seed: 42, control: "randomize", width: 64, height: 64, batch: 1 });
  sampleDecodeSave(b, "latent.latent", { cfg: 7.5 }, "txt2img");
  writeFileSync("examples/txt2img.json", canonicalJson(b.doc));
}

// img2img
{
  const b = new Builder(
    "Image to image",
    "Re-imagines an input image: the U-Net starts part-way (denoise = strength), so the layout survives.",
  );
  base(b, "a green circle on a blue background", "");
  b.node("image", "load-image", 0, 180, { image: "red-circle-on-blue.png" });
  b.node("encode", "vae-encode", 0, 440);
  b.link("model.vae", "encode.vae");
  b.link("image.image", "encode.image");
  b.node("noise", "noise", 2 * COL, 460, { seed: 7, control: "fixed", width: 64, height: 64, batch: 1 });
  b.link("encode.latent", "noise.latent");
  sampleDecodeSave(b, "encode.latent", { cfg: 7.5, denoise: 0.6 }, "img2img");
  writeFileSync("examples/img2img.json", canonicalJson(b.doc));
}

// two-stage: base steps, then refiner steps on the leftover noise
{
  const b = new Builder(
    "Two-stage sampling",
    "The first U-Net step runs steps 0–15 and returns with leftover noise; the second finishes 15–25 with another prompt, as a refiner would.",
  );
  base(b, "a large yellow star in the center on a purple background", "", 190);
  b.node(
    "refine",
    "text-encoder",
    COL,
    0,
    { text: "a large yellow star in the center on a purple background" },
    "Refiner prompt",
  );
  b.link("model.textEncoder", "refine.textEncoder");
  b.node("latent", "empty-latent", 0, 180, { width: 64, height: 64, batch: 1 });
  b.node("noise", "noise", 2 * COL, 460, { seed: 1234, control: "fixed", width: 64, height: 64, batch: 1 });
  b.node(
    "base",
    "unet-step",
    3 * COL,
    0,
    { cfg: 7.5, endStep: 15, leftoverNoise: true },
    "Base (steps 0–15)",
  );
  b.node(
    "refiner",
    "unet-step",
    4 * COL,
    0,
    { cfg: 5, startStep: 15, addNoise: false },
    "Refiner (steps 15–25)",
  );
  for (const [f, t] of [
    ["model.unet", "base.unet"],
    ["positive.conditioning", "base.positive"],
    ["negative.conditioning", "base.negative"],
    ["latent.latent", "base.latent"],
    ["noise.noise", "base.noise"],
    ["schedule.schedule", "base.schedule"],
    ["model.unet", "refiner.unet"],
    ["refine.conditioning", "refiner.positive"],
    ["negative.conditioning", "refiner.negative"],
    ["base.latent", "refiner.latent"],
    ["schedule.schedule", "refiner.schedule"],
  ])
    b.link(f, t);
  b.node("decode", "vae-decode", 5 * COL, 0);
  b.link("model.vae", "decode.vae");
  b.link("refiner.latent", "decode.latent");
  b.node("save", "save-image", 5 * COL, 120, { prefix: "two-stage" });
  b.link("decode.image", "save.image");
  writeFileSync("examples/two-stage.json", canonicalJson(b.doc));
}

// forward process: one image at several t
{
  const b = new Builder(
    "The forward process",
    "x_t = sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·ε: the same image and noise at t = 0, 250, 500, 750 and 999. Noise rises with t; at t = 999 almost nothing of x0 is left.",
  );
  b.node("model", "model-loader", 0, 0);
  b.node("image", "load-image", 0, 180, { image: "red-circle-on-blue.png" });
  b.node("encode", "vae-encode", COL, 180);
  b.link("model.vae", "encode.vae");
  b.link("image.image", "encode.image");
  b.node("schedule", "scheduler", COL, 560, { algorithm: "ddpm", steps: 1000 });
  b.link("model.unet", "schedule.unet");
  b.node("noise", "noise", COL, 310, { seed: 0, control: "fixed" });
  b.link("encode.latent", "noise.latent");
  [0, 250, 500, 750, 999].forEach((t, i) => {
    // A row is as tall as Save Image once it shows its result.
    const y = i * 360;
    b.node(`noisy${t}`, "add-noise", 2 * COL, y, { timestep: t }, `x_t at t = ${t}`);
    b.link("encode.latent", `noisy${t}.latent`);
    b.link("noise.noise", `noisy${t}.noise`);
    b.link("schedule.schedule", `noisy${t}.schedule`);
    b.node(`decode${t}`, "vae-decode", 3 * COL, y);
    b.link("model.vae", `decode${t}.vae`);
    b.link(`noisy${t}.latent`, `decode${t}.latent`);
    b.node(`show${t}`, "save-image", 4 * COL, y, { prefix: `forward-t${t}` });
    b.link(`decode${t}.image`, `show${t}.image`);
  });
  b.note(
    "explain",
    "Each row: Add Noise jumps straight to step t with the closed form — no loop needed.",
    2 * COL,
    -150,
    { width: 570, height: 110 },
  );
  writeFileSync("examples/forward-process.json", canonicalJson(b.doc));
}

// The input image for img2img and the forward process: a red circle on a blue background.
{
  const size = 64;
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const inside = (x - 31.5) ** 2 + (y - 31.5) ** 2 < 16 ** 2;
      rgb.set(inside ? [220, 30, 30] : [30, 60, 200], (y * size + x) * 3);
    }
  writeFileSync(
    "examples/assets/red-circle-on-blue.png",
    encodePng({ width: size, height: size, data: rgb, channels: 3 }),
  );
}
console.log("wrote examples/*.json and examples/assets/red-circle-on-blue.png");
