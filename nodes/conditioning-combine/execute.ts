import { implement } from "../../core/node/implement";
import type { RuntimeServices } from "../../server/runtime/services";
import { conditioningCombine } from "./definition";

export const conditioningCombineImpl = implement<typeof conditioningCombine, RuntimeServices>(
  conditioningCombine,
  {
    execute(_ctx, { a, b }) {
      return { outputs: { conditioning: [...a, ...b] } };
    },
  },
);
