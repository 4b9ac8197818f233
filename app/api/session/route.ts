/**
 * GET: { tokenRequired, authenticated }. POST { token }: sets the access-token cookie. DELETE: clears it.
 */
import { getApp } from "@/server/app";
import { sessionState, signIn, signOut } from "@/server/http/session";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  return sessionState(await getApp(), req);
}

export async function POST(req: Request): Promise<Response> {
  return signIn(await getApp(), req);
}

export async function DELETE(req: Request): Promise<Response> {
  return signOut(req);
}
