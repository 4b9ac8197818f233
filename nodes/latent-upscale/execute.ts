import { implement } from "../../core/node/implement";
import { Tensor } from "../../core/node/values";
import type { RuntimeServices } from "../../server/runtime/services";
import { latentUpscale } from "./definition";

export const latentUpscaleImpl = implement<typeof latentUpscale, RuntimeServices>(latentUpscale, {
  execute(ctx, { latent }, p) {
    if (p.width * p.height > ctx.services.limits.maxPixels)
      throw new Error(`${p.width}×${p.height} is over the pixel limit`);
    const [B, C, h, w] = latent.samples.dims;
    const [H, W] = [p.height / 8, p.width / 8];
    const src = latent.samples.data;
    const out = new Float32Array(B * C * H * W);
    for (let plane = 0; plane < B * C; plane++) {
      for (let y = 0; y < H; y++) {
        // Align pixel centres, as torch's interpolate(align_corners=False) does.
        const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / H - 0.5));
        for (let x = 0; x < W; x++) {
          const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / W - 0.5));
          let v: number;
          if (p.method === "nearest")
            v =
              src[
                plane * h * w +
                  Math.min(h - 1, Math.floor((y * h) / H)) * w +
                  Math.min(w - 1, Math.floor((x * w) / W))
              ];
          else {
            const [y0, x0] = [Math.floor(sy), Math.floor(sx)];
            const [y1, x1] = [Math.min(h - 1, y0 + 1), Math.min(w - 1, x0 + 1)];
            const [fy, fx] = [sy - y0, sx - x0];
            const at = (yy: number, xx: number) => src[plane * h * w + yy * w + xx];
            v =
              (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
              fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
          }
          out[plane * H * W + y * W + x] = v;
        }
      }
    }
    return {
      outputs: {
        latent: { samples: new Tensor([B, C, H, W], out), sigma: latent.sigma, seeds: latent.seeds },
      },
    };
  },
});
