import { canonicalJson } from "../../core/graph/document";
import type { ExecContext } from "../../core/node/implement";
import { implement } from "../../core/node/implement";
import type { ImageValue } from "../../core/node/values";
import type { FileOutput } from "../../core/run/events";
import { encodePng, PNG_TEXT_KEYS, tensorItemToRgb } from "../../server/media/png";
import type { RuntimeServices } from "../../server/runtime/services";
import { saveImage } from "./definition";

export const saveImageImpl = implement<typeof saveImage, RuntimeServices>(saveImage, {
  async execute(ctx, { image }, p) {
    return { outputs: {}, files: await writeImages(ctx, image, p.prefix, false) };
  },
});

/**
 * Writes each batch item as a PNG carrying the document that ran (with the exact seeds in its
 * widgets) and this image's seed, so dropping it on the canvas restores the graph that made it.
 * Nothing run-specific goes in: the same graph and seed give the same file, byte for byte.
 */
export async function writeImages(
  ctx: ExecContext<RuntimeServices>,
  image: ImageValue,
  prefix: string,
  temporary: boolean,
): Promise<FileOutput[]> {
  const [B, , H, W] = image.tensor.dims;
  const documentJson = canonicalJson(ctx.document);
  const files: FileOutput[] = [];
  for (let i = 0; i < B; i++) {
    const seed = image.seeds?.[i];
    const png = encodePng(
      { width: W, height: H, data: tensorItemToRgb(image.tensor, i), channels: 3 },
      {
        [PNG_TEXT_KEYS.document]: documentJson,
        [PNG_TEXT_KEYS.seeds]: JSON.stringify({
          seed: seed ?? null,
          batchIndex: i,
          nodeId: ctx.nodeId,
        }),
      },
    );
    files.push(
      await ctx.services.artifacts.saveImage({
        runId: ctx.runId,
        nodeId: ctx.nodeId,
        index: i,
        png,
        width: W,
        height: H,
        seed,
        prefix,
        temporary,
      }),
    );
  }
  return files;
}
