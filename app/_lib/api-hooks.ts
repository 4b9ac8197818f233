"use client";
/** Small query hooks shared by several components (one cache entry each, however many nodes ask). */
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "./trpc";

export interface ModelChoice {
  id: string;
  usable: boolean;
  reason?: string;
}

/** Usable model folders plus the unusable ones with their reasons, as one list for the picker. */
export function useModelList() {
  const trpc = useTRPC();
  return useQuery({
    ...trpc.models.list.queryOptions(),
    staleTime: 60_000,
    select: (r): ModelChoice[] => [
      ...r.models.map((m) => ({ id: m.id, usable: true })),
      ...r.problems.map((p) => ({ id: p.id, usable: false, reason: p.reason })),
    ],
  });
}
