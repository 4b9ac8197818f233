/** GET /api/uploads/:name — an uploaded image (for the Load Image node's preview). */
import { getApp } from "@/server/app";
import { serveUpload } from "@/server/http/files";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ name: string }> }): Promise<Response> {
  const { name } = await ctx.params;
  return serveUpload(await getApp(), req, name);
}
