/** POST /api/uploads — an image for a Load Image node (raw body or multipart); answers { name, width, height }. */
import { getApp } from "@/server/app";
import { receiveUpload } from "@/server/http/files";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(req: Request): Promise<Response> {
  return receiveUpload(await getApp(), req);
}
