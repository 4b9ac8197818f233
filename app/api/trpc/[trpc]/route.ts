/** The tRPC API: queries and mutations over HTTP, subscriptions over server-sent events. */
import { handleTrpcRequest } from "@/server/http/trpc-handler";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export { handleTrpcRequest as GET, handleTrpcRequest as POST };
