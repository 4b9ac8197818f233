import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkLink, firstCompatibleInput, firstCompatibleOutput } from "../../../app/_lib/connections";
import { documentToFlow } from "../../../app/_lib/document-flow";
import { graphDocumentSchema } from "../../../core/graph/document";
import { registry } from "../../../nodes/registry";

const txt2img = () =>
  documentToFlow(graphDocumentSchema.parse(JSON.parse(readFileSync("examples/txt2img.json", "utf8"))));

describe("checkLink: what the canvas lets a person draw", () => {
  const { nodes, edges } = txt2img();
  const byId = (id: string) => nodes.find((n) => n.id === id);
  const link = (source: string, sourceHandle: string, target: string, targetHandle: string) =>
    checkLink({ source, sourceHandle, target, targetHandle }, byId, edges);

  it("accepts a compatible link and says which socket it carries", () => {
    expect(link("model", "unet", "sampler", "unet")).toEqual({ ok: true, socket: "UNET" });
  });

  it("accepts an INT into a linkable widget (the Scheduler's steps), not into one that is not", () => {
    const withInt = [
      ...nodes,
      {
        id: "n",
        type: "petal",
        position: { x: 0, y: 0 },
        data: { type: "primitive-int", version: 1, params: {}, mode: "normal" },
      },
    ] as typeof nodes;
    const find = (id: string) => withInt.find((n) => n.id === id);
    expect(
      checkLink(
        { source: "n", sourceHandle: "value", target: "schedule", targetHandle: "steps" },
        find,
        edges,
      ),
    ).toEqual({
      ok: true,
      socket: "INT",
    });
    const r = checkLink(
      { source: "n", sourceHandle: "value", target: "schedule", targetHandle: "trainSteps" },
      find,
      edges,
    );
    expect(r).toEqual({ ok: false, reason: 'Scheduler has no input "trainSteps"' });
  });

  it("refuses a type mismatch naming both ends", () => {
    const r = link("model", "vae", "sampler", "unet");
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/VAE.*UNET|UNET.*VAE/);
    expect(!r.ok && r.reason).toContain("Model Loader → U-Net step.unet");
  });

  it("refuses a self link, unknown ports and unknown nodes", () => {
    expect(link("decode", "image", "decode", "latent")).toEqual({
      ok: false,
      reason: "A node cannot feed itself",
    });
    const back = link("decode", "image", "model", "nothing");
    expect(back).toEqual({ ok: false, reason: 'Model Loader has no input "nothing"' });
    expect(link("model", "nope", "sampler", "unet")).toEqual({
      ok: false,
      reason: 'Model Loader has no output "nope"',
    });
    expect(link("ghost", "x", "sampler", "unet")).toEqual({
      ok: false,
      reason: "Links join two known nodes",
    });
  });

  it("a link from downstream back upstream is refused as a cycle", () => {
    // The U-Net step's LATENT output into the Empty Latent is not possible (no input), so use the
    // Noise node's optional latent input: sampler → noise would close sampler ← noise.
    expect(link("sampler", "latent", "noise", "latent")).toEqual({
      ok: false,
      reason: expect.stringMatching(/would make a cycle/),
    });
    // The same link is fine when nothing connects them.
    expect(
      checkLink(
        { source: "sampler", sourceHandle: "latent", target: "noise", targetHandle: "latent" },
        byId,
        [],
      ),
    ).toMatchObject({
      ok: true,
    });
  });
});

describe("first compatible ports (a link dropped on empty canvas)", () => {
  it("finds the input or output of the matching socket type, widgets after sockets", () => {
    expect(firstCompatibleInput(registry.get("unet-step")!, "SCHEDULE")).toBe("schedule");
    expect(firstCompatibleInput(registry.get("scheduler")!, "INT")).toBe("steps");
    expect(firstCompatibleInput(registry.get("scheduler")!, "IMAGE")).toBeNull();
    expect(firstCompatibleOutput(registry.get("model-loader")!, "VAE")).toBe("vae");
    expect(firstCompatibleOutput(registry.get("save-image")!, "IMAGE")).toBeNull();
  });
});
