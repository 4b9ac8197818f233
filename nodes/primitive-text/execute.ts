import { implement } from "../../core/node/implement";
import { primitiveText } from "./definition";

export const primitiveTextImpl = implement(primitiveText, {
  execute: (_ctx, _i, p) => ({ outputs: { value: p.value } }),
});
