/**
 * GET /api/health: is the server up, which version, provider, models and queue. Open without the
 * token, but a token-less server answers only requests addressed to localhost (same guard as the API).
 */
import { getApp } from "@/server/app";
import { guardLocalRequest } from "@/server/http/guard";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(req: Request): Promise<Response> {
  const app = await getApp();
  const refused = guardLocalRequest(app.env, req);
  if (refused) return refused;
  const [scan, queued, report, workers] = await Promise.all([
    app.runtime.services.models.list(),
    app.queue.length(),
    app.runtime.services.sessions.providerReport(),
    // The worker pool, when there is one; Redis away is reported, not a failed health check.
    app.pool?.workers().catch(() => null),
  ]);
  return Response.json(
    {
      status: "ok",
      version: app.version,
      provider: report.provider ?? "none",
      // Which providers were tried (auto: cuda, webgpu, cpu) and why the others failed.
      providers: { requested: report.requested, attempts: report.attempts, error: report.error ?? null },
      models: scan.models.map((m) => m.id),
      modelProblems: scan.problems.length,
      queue: { length: queued, running: app.worker.running.length, paused: app.queue.paused },
      ...(app.pool
        ? {
            workers: workers
              ? { alive: workers.filter((w) => w.alive).length, gone: workers.filter((w) => !w.alive).length }
              : { error: "Redis does not answer" },
          }
        : {}),
    },
    { headers: { "cache-control": "no-store" } },
  );
}
