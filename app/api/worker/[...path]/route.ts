/** /api/worker/* — pool workers upload artifacts and read run inputs here (PETALFLOW_WORKER_TOKEN; server/pool/http.ts). */
import { getApp } from "@/server/app";
import { handleWorkerRequest, workerHttpDeps } from "@/server/pool/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

async function handle(req: Request): Promise<Response> {
  return handleWorkerRequest(workerHttpDeps(await getApp()), req);
}

export const GET = handle;
export const POST = handle;
