/**
 * A seed-only rerun takes its conditioning from the output cache, so the U-Net gets the very same text
 * batch as the run before: its session converts that constant feed (2×77×D) no more, reusing the one
 * it holds, and the image is the one a fresh process would make for that seed.
 */
import { describe, expect, it } from "vitest";
import { MODELS_DIR } from "./helpers/app";
import { txt2img } from "./helpers/documents";
import { cpuRuntime } from "./helpers/runtime";

describe("seed-only rerun", () => {
  it("reuses the U-Net's held text feed, with the same results as a fresh runtime", async () => {
    const rt = cpuRuntime(MODELS_DIR);
    expect((await rt.executor.run(txt2img({ seed: 1 }), { previews: false })).status).toBe("succeeded");
    const unet = await rt.services.session("tiny-sd", "unet");
    const conversions = unet.residency.conversions;
    const rerun = await rt.executor.run(txt2img({ seed: 2 }), { previews: false });
    expect(rerun.status).toBe("succeeded");
    expect(rerun.results.pos.status).toBe("cached");
    expect(unet.residency.conversions).toBe(conversions); // converted once, in the first run
    // The same latent as a runtime that never ran seed 1.
    const fresh = cpuRuntime(MODELS_DIR);
    const alone = await fresh.executor.run(txt2img({ seed: 2 }), { previews: false });
    const latent = (r: typeof rerun) =>
      (r.outputs.get("sample") as { latent: { samples: { data: Float32Array } } }).latent.samples.data;
    expect(Buffer.from(latent(rerun).buffer).equals(Buffer.from(latent(alone).buffer))).toBe(true);
  }, 120_000);
});
