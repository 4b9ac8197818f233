/**
 * Semantic tests of the bundled demo model through the real engine: does the whole pipeline mean what
 * it says? Judged by the pixel judge (tests/helpers/judge.ts, itself checked on training images).
 * Thresholds sit below the rates measured in the model card (models/petalflow-shapes/eval.json).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type GraphDocument, graphDocumentSchema } from "../../core/graph/document";
import { applyOverrides, type ParamSet } from "../../core/graph/overrides";
import type { ImageValue } from "../../core/node/values";
import { registry } from "../../nodes/registry";
import { tensorItemToRgb } from "../../server/media/png";
import { type Judgement, judge, roughShape } from "../helpers/judge";
import { cpuRuntime } from "./helpers/runtime";

const rt = cpuRuntime("models", { sessionMiB: 512, cacheMiB: 256 });
const template = (name: string) =>
  graphDocumentSchema.parse(JSON.parse(readFileSync(`examples/${name}.json`, "utf8")));

/** Runs a document and judges every image of the node `decodeId`. */
async function render(doc: GraphDocument, decodeId = "decode"): Promise<Judgement[]> {
  const r = await rt.executor.run(doc, { previews: false });
  expect(r.status, JSON.stringify(r.error)).toBe("succeeded");
  const img = r.outputs.get(decodeId)!.image as ImageValue;
  const [B, , H, W] = img.tensor.dims;
  return Array.from({ length: B }, (_, i) => judge(tensorItemToRgb(img.tensor, i), W, H));
}

/** txt2img for a prompt over `seeds` seeds (one batch: seed, seed+1, …). */
function txt2img(
  prompt: string,
  opts: { seed?: bigint; batch?: number; cfg?: number; negative?: string } = {},
) {
  const set: ParamSet[] = [
    { nodeId: "positive", param: "text", value: prompt },
    { nodeId: "noise", param: "batch", value: opts.batch ?? 8 },
    { nodeId: "sampler", param: "cfg", value: opts.cfg ?? 7.5 },
    { nodeId: "negative", param: "text", value: opts.negative ?? "" },
  ];
  return applyOverrides(template("txt2img"), registry, { seed: opts.seed ?? 1000n, set });
}

const share = (js: Judgement[], ok: (j: Judgement) => boolean) => js.filter(ok).length / js.length;

describe("demo model: prompts mean what they say", () => {
  const cases = [
    { prompt: "a red circle on a blue background", color: "red", background: "blue" },
    { prompt: "a large yellow square on a purple background", color: "yellow", background: "purple" },
    {
      prompt: "a small green circle at the top left on a white background",
      color: "green",
      background: "white",
      position: "top left",
    },
    {
      prompt: "a blue triangle at the bottom right on an orange background",
      color: "blue",
      background: "orange",
      position: "bottom right",
    },
  ];
  for (const c of cases) {
    it(`"${c.prompt}"`, async () => {
      const js = await render(txt2img(c.prompt));
      expect(
        share(js, (j) => j.background === c.background),
        "background",
      ).toBeGreaterThanOrEqual(0.75);
      expect(
        share(js, (j) => j.color === c.color),
        "object colour",
      ).toBeGreaterThanOrEqual(0.75);
      if (c.position)
        expect(
          share(js, (j) => j.position === c.position),
          "position",
        ).toBeGreaterThanOrEqual(0.75);
    });
  }

  it("the shape word matters: circles come out round, triangles pointy", async () => {
    const circles = await render(txt2img("a large red circle on a white background", { seed: 4000n }));
    const triangles = await render(txt2img("a large red triangle on a white background", { seed: 4000n }));
    const spreads = JSON.stringify([circles.map((j) => j.spread), triangles.map((j) => j.spread)]);
    // Measured (U-Net step 17,015; seeds 4000… and 6000…): 8/8 triangles pointy, 8/8 circles round;
    // mean spread 1.31 against 0.98.
    const mean = (js: Judgement[]) => js.reduce((a, j) => a + j.spread, 0) / js.length;
    expect(
      share(triangles, (j) => roughShape(j) === "pointy"),
      spreads,
    ).toBeGreaterThanOrEqual(0.75);
    expect(
      share(circles, (j) => roughShape(j) === "circle"),
      spreads,
    ).toBeGreaterThanOrEqual(0.75);
    expect(mean(triangles), spreads).toBeGreaterThan(mean(circles) + 0.15);
  });

  it("classifier-free guidance improves adherence over cfg = 1", async () => {
    // Colour and background alone come out right even unguided with this model; placing the object
    // is where guidance shows. Measured (seed 2000…, 16 each): guided 16/16 and 16/16, unguided 11/16
    // and 15/16.
    const cases = [
      {
        prompt: "a blue triangle at the bottom right on an orange background",
        ok: (j: Judgement) =>
          j.color === "blue" && j.background === "orange" && j.position === "bottom right",
      },
      {
        prompt: "a green circle at the top right on a black background",
        ok: (j: Judgement) => j.color === "green" && j.background === "black" && j.position === "top right",
      },
    ];
    let guided = 0;
    let unguided = 0;
    for (const c of cases) {
      guided += share(await render(txt2img(c.prompt, { seed: 2000n, batch: 16 })), c.ok) / cases.length;
      unguided +=
        share(await render(txt2img(c.prompt, { seed: 2000n, batch: 16, cfg: 1 })), c.ok) / cases.length;
    }
    expect(guided).toBeGreaterThanOrEqual(0.9);
    expect(guided - unguided, JSON.stringify({ guided, unguided })).toBeGreaterThanOrEqual(0.1);
  });

  it("a negative prompt removes a colour", async () => {
    // "a circle on a white background" leaves the colour open and the model has a favourite (orange:
    // 16 of 16 at U-Net step 17,015, 11–15 of 16 in earlier exports); naming that colour in the
    // negative prompt pushes it out (0 of 16 measured).
    const prompt = "a circle on a white background";
    const before = await render(txt2img(prompt, { seed: 1000n, batch: 16 }));
    const counts = new Map<string, number>();
    for (const j of before) if (j.color) counts.set(j.color, (counts.get(j.color) ?? 0) + 1);
    const [favourite, n] = [...counts].sort((a, b) => b[1] - a[1])[0];
    expect(n / before.length, JSON.stringify([...counts])).toBeGreaterThanOrEqual(0.5);
    const after = await render(txt2img(prompt, { seed: 1000n, batch: 16, negative: favourite }));
    expect(share(after, (j) => j.color === favourite)).toBeLessThanOrEqual(0.2);
  });

  it("different seeds give visibly different images", async () => {
    const js = await render(txt2img("a red circle on a blue background"));
    const xs = js.filter((j) => j.centroid).map((j) => j.centroid![0]);
    // The object lands in different places: its centre moves across seeds (measured: 31 px of 64).
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(10);
  });
});

describe("demo model: img2img and the forward process", () => {
  it("img2img at low strength keeps the input's layout (a centred object on blue)", async () => {
    const doc = applyOverrides(template("img2img"), registry, {
      set: [
        { nodeId: "sampler", param: "denoise", value: 0.35 },
        { nodeId: "positive", param: "text", value: "a red circle on a blue background" },
      ],
    });
    const [j] = await render(doc);
    expect(j.background).toBe("blue");
    expect(j.position).toBe("centre");
    expect(j.color).toBe("red");
  });

  it("the forward-process graph gives images whose noise rises with t", async () => {
    const r = await rt.executor.run(template("forward-process"), { previews: false });
    expect(r.status, JSON.stringify(r.error)).toBe("succeeded");
    const img = (t: number) => (r.outputs.get(`decode${t}`)!.image as ImageValue).tensor.data;
    // How far each x_t's picture has drifted from the clean one: it must grow with t.
    const clean = img(0);
    const drift = [250, 500, 750, 999].map(
      (t) => img(t).reduce((a, v, i) => a + (v - clean[i]) ** 2, 0) / clean.length,
    );
    for (let i = 1; i < drift.length; i++) expect(drift[i]).toBeGreaterThan(drift[i - 1]);
    // At t = 0 the image is (nearly) the input: a centred red object on blue.
    const [j] = await render(template("forward-process"), "decode0");
    expect([j.color, j.background, j.position]).toEqual(["red", "blue", "centre"]);
  });
});
