import { defineNode } from "../../core/node/define";

export const primitiveInt = defineNode({
  id: "primitive-int",
  version: 1,
  title: "Integer",
  category: "primitives",
  aliases: ["Primitive", "PrimitiveInt", "INT"],
  description: "An integer to feed into widgets converted to inputs (e.g. one seed for several nodes).",
  inputs: {},
  widgets: {
    value: {
      kind: "int",
      default: 0,
      min: -9007199254740991,
      max: 9007199254740991,
      description: "The value.",
    },
  },
  outputs: { value: { type: "INT" } },
});
