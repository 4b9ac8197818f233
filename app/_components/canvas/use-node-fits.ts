"use client";
/** How each node type fits the models the graph's Model Loaders pick (app/_lib/family-nodes.ts). */
import { useMemo } from "react";
import { useModelList } from "@/app/_lib/api-hooks";
import { useEditor } from "@/app/_lib/editor-context";
import { familyNodeFits, type NodeFit, pickedFamilies } from "@/app/_lib/family-nodes";
import { isPetal } from "@/app/_lib/flow-types";

export function useNodeFits(): Map<string, NodeFit> {
  const models = useModelList();
  // One stable string ("a\nb"): a new array each time would re-render on every store change.
  const joined = useEditor((s) =>
    s.nodes
      .flatMap((n) =>
        isPetal(n) && n.data.type === "model-loader" ? [String(n.data.params.model ?? "")] : [],
      )
      .join("\n"),
  );
  return useMemo(
    () => familyNodeFits(pickedFamilies(joined ? joined.split("\n") : [], models.data)),
    [joined, models.data],
  );
}
