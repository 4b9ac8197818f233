import { defineNode } from "../../core/node/define";

export const conditioningCombine = defineNode({
  id: "conditioning-combine",
  version: 1,
  title: "Conditioning Combine",
  category: "conditioning",
  aliases: ["Conditioning (Combine)", "ConditioningCombine"],
  description: "Uses both conditionings: the U-Net's predictions for each are averaged.",
  inputs: { a: { type: "CONDITIONING" }, b: { type: "CONDITIONING" } },
  widgets: {},
  outputs: { conditioning: { type: "CONDITIONING" } },
});
