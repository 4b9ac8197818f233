import { defineNode } from "../../core/node/define";

export const primitiveText = defineNode({
  id: "primitive-text",
  version: 1,
  title: "Text",
  category: "primitives",
  aliases: ["Primitive", "PrimitiveString", "String"],
  description: "Text to feed into widgets converted to inputs (e.g. one prompt for two encoders).",
  inputs: {},
  widgets: { value: { kind: "text", default: "", maxLength: 4000, description: "The text." } },
  outputs: { value: { type: "STRING" } },
});
