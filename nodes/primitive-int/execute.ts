import { implement } from "../../core/node/implement";
import { primitiveInt } from "./definition";

export const primitiveIntImpl = implement(primitiveInt, {
  execute: (_ctx, _i, p) => ({ outputs: { value: p.value } }),
});
