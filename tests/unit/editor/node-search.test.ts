import { describe, expect, it } from "vitest";
import { matchedAlias, searchNodes } from "../../../app/_lib/node-search";
import { registry } from "../../../nodes/registry";

const top = (q: string, n = 1) =>
  searchNodes(q)
    .slice(0, n)
    .map((d) => d.id);

describe("node search knows ComfyUI's names", () => {
  it.each([
    ["ksampler", "unet-step"],
    ["clip text encode", "text-encoder"],
    ["checkpoint loader", "model-loader"],
    ["empty latent image", "empty-latent"],
    ["vae decode", "vae-decode"],
    ["CLIPTextEncode", "text-encoder"],
    ["Load Checkpoint", "model-loader"],
  ])("%s → %s first", (query, id) => {
    expect(top(query)).toEqual([id]);
  });

  it("says which alias matched, unless the title already does", () => {
    expect(matchedAlias(registry.get("unet-step")!, "ksampler")).toBe("KSampler");
    expect(matchedAlias(registry.get("vae-decode")!, "vae decode")).toBeNull();
  });

  it("still filters by the socket of a dropped link", () => {
    const ids = searchNodes("ksampler", { socket: "LATENT", handleType: "source" }).map((d) => d.id);
    expect(ids[0]).toBe("unet-step");
    expect(ids).not.toContain("model-loader");
  });
});
