import { defineNode } from "../../core/node/define";

export const primitiveFloat = defineNode({
  id: "primitive-float",
  version: 1,
  title: "Number",
  category: "primitives",
  aliases: ["Primitive", "PrimitiveFloat", "FLOAT"],
  description: "A number to feed into widgets converted to inputs (e.g. a CFG scale shared by two samplers).",
  inputs: {},
  widgets: { value: { kind: "float", default: 1, min: -1e9, max: 1e9, description: "The value." } },
  outputs: { value: { type: "FLOAT" } },
});
