"use client";
/** Small query hooks shared by several components (one cache entry each, however many nodes ask). */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./trpc";

export interface ModelChoice {
  id: string;
  usable: boolean;
  reason?: string;
  /** The detected model family and traits ("sdxl", "sd1 · inpaint", "sdxl · turbo"). */
  family?: string;
}

/** Usable model folders plus the unusable ones with their reasons, as one list for the picker. */
export function useModelList() {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.models.list.queryOptions(),
    staleTime: 60_000,
    select: (r): ModelChoice[] => [
      ...r.models.map((m) => ({ id: m.id, usable: true, family: m.familyLabel })),
      ...r.problems.map((p) => ({ id: p.id, usable: false, reason: p.reason })),
    ],
  });
}

/** A model's own scheduler_config.json (raw), for the Scheduler node's plot; undefined while unknown. */
export function useModelSchedulerConfig(modelId: string | null): unknown {
  const trpc = useTRPC();
  const { data } = useQuery({
    ...trpc.models.list.queryOptions(),
    staleTime: 60_000,
    enabled: modelId !== null,
  });
  // A model without a scheduler config is null (the run then uses diffusers' defaults); unknown: undefined.
  const model = modelId ? data?.models.find((m) => m.id === modelId) : undefined;
  return model ? model.schedulerConfig : undefined;
}
