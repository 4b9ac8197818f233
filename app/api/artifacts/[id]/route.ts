/** GET /api/artifacts/:id — an image or latent a run made (content-addressed, immutable). */
import { getApp } from "@/server/app";
import { serveArtifact } from "@/server/http/files";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await ctx.params;
  return serveArtifact(await getApp(), req, id);
}
