"use client";
/**
 * The browser's tRPC client: queries and mutations batched over HTTP, subscriptions (run progress,
 * queue changes) over server-sent events, all through TanStack Query.
 */
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import type { AppRouter } from "@/server/routers/_app";
import { TokenDialog } from "../_components/TokenGate";
import { isUnauthorized } from "./api-errors";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

const url = "/api/trpc";

function makeQueryClient(onUnauthorized: () => void) {
  const onError = (e: unknown) => {
    if (isUnauthorized(e)) onUnauthorized();
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchOnWindowFocus: false,
        retry: (n, e) => !isUnauthorized(e) && n < 1,
      },
    },
  });
}

/** A random id per browser: the server counts queue limits per client. */
function clientId(): string {
  if (typeof window === "undefined") return "server";
  try {
    let id = localStorage.getItem("petalflow:client");
    if (!id) {
      id = crypto.randomUUID().replaceAll("-", "");
      localStorage.setItem("petalflow:client", id);
    }
    return id;
  } catch {
    return "anonymous";
  }
}

export function makeTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url }),
        false: httpBatchLink({ url, headers: () => ({ "x-petalflow-client": clientId() }) }),
      }),
    ],
  });
}

export type TrpcClient = ReturnType<typeof makeTrpcClient>;

export function TrpcReactProvider({ children }: { children: ReactNode }) {
  // One client per browser tab; created lazily so server rendering never shares one.
  const [needsToken, setNeedsToken] = useState(false);
  const [queryClient] = useState(() => makeQueryClient(() => setNeedsToken(true)));
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
        {needsToken && <TokenDialog onDone={() => window.location.reload()} />}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

/** The message of a tRPC/zod error, flattened into one line for the status line. */
export function errorMessage(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as { message: unknown }).message);
  return String(e);
}
