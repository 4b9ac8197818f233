import { implement } from "../../core/node/implement";
import { primitiveFloat } from "./definition";

export const primitiveFloatImpl = implement(primitiveFloat, {
  execute: (_ctx, _i, p) => ({ outputs: { value: p.value } }),
});
