/**
 * The sampler's text batch for the U-Net ([negative × B; positive × B]) is made once per set of
 * conditioning tensors: a seed-only rerun, whose conditioning comes from the output cache (the same
 * tensors), passes the very same batch again (so the U-Net session's held constant feed is reused),
 * with the same result; other conditioning gets its own batch, in the same order as before.
 */
import { describe, expect, it } from "vitest";
import { Tensor } from "../../core/node/values";
import { DEFAULT_SCHEDULER_CONFIG } from "../../core/schedulers/config";
import { type DenoiseFn, type SampleRequest, sample, textBatch } from "../../server/diffusion/sampler";

const DIMS = [2, 4, 2, 2]; // batch of 2
const SIZE = 32;
const embeds = (v: number) =>
  new Tensor(
    [1, 3, 2],
    Float32Array.from({ length: 6 }, (_, k) => v + k / 10),
  );

function run(negative: Tensor, positive: Tensor, contexts: Tensor[]) {
  const denoise: DenoiseFn = async (x, t, context) => {
    contexts.push(context);
    // Depends on the text batch too, so a wrong batch would change the result.
    const c = context.data.reduce((a, b) => a + b, 0);
    return new Tensor(
      x.dims,
      x.data.map((v, i) => 0.5 * Math.sin(v + t / 300 + c * (i % 3))),
    );
  };
  const req: SampleRequest = {
    denoise,
    algorithm: "ddim",
    config: DEFAULT_SCHEDULER_CONFIG,
    steps: 3,
    latent: Tensor.zeros(DIMS),
    latentSigma: 0,
    noise: new Tensor(
      DIMS,
      Float32Array.from({ length: SIZE }, (_, k) => Math.cos(k)),
    ),
    seeds: ["1", "2"],
    positive: [{ embeds: positive, weight: 1 }],
    negative,
    cfg: 7.5,
    startStep: 0,
    endStep: 3,
    addNoise: true,
    leftoverNoise: false,
  };
  return sample(req);
}

describe("the U-Net's text batch", () => {
  it("is the same batch for the same conditioning tensors, with the same result", async () => {
    const neg = embeds(0);
    const pos = embeds(1);
    const first: Tensor[] = [];
    const second: Tensor[] = [];
    const a = await run(neg, pos, first);
    const b = await run(neg, pos, second);
    expect(new Set([...first, ...second]).size).toBe(1); // one batch for every step of both runs
    expect(Buffer.from(b.samples.data.buffer).equals(Buffer.from(a.samples.data.buffer))).toBe(true);
    // [negative × 2; positive × 2], as Tensor.concat lays it out.
    expect(first[0].dims).toEqual([4, 3, 2]);
    expect([...first[0].data]).toEqual([...neg.data, ...neg.data, ...pos.data, ...pos.data]);
  });

  it("is another batch for other conditioning or another batch size", () => {
    const neg = embeds(0);
    const pos = embeds(1);
    const other = embeds(2);
    const one = textBatch([neg, pos], 2);
    expect(textBatch([neg, pos], 2)).toBe(one);
    const changed = textBatch([neg, other], 2);
    expect(changed).not.toBe(one);
    expect([...changed.data]).toEqual([...neg.data, ...neg.data, ...other.data, ...other.data]);
    expect(textBatch([neg, pos], 1).dims).toEqual([2, 3, 2]);
    expect(textBatch([neg, pos], 2)).toBe(one); // still known after the others
  });
});
