import { implement } from "../../core/node/implement";
import type { RuntimeServices } from "../../server/runtime/services";
import { writeImages } from "../save-image/execute";
import { previewImage } from "./definition";

export const previewImageImpl = implement<typeof previewImage, RuntimeServices>(previewImage, {
  async execute(ctx, { image }) {
    return { outputs: {}, files: await writeImages(ctx, image, "preview", true) };
  },
});
