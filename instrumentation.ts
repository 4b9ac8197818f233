/**
 * Next calls register() once when the server process starts: create the app singletons and start the
 * worker right away, so queued runs (and runs interrupted by a crash) are handled before any request.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  if (process.env.NEXT_PHASE === "phase-production-build") return;
  const { getApp } = await import("./server/app");
  const { describeProvider } = await import("./server/diffusion/providers");
  const app = await getApp();
  // X-Forwarded-For only from the configured proxy (per-client queue limits key on it).
  const { installForwardingGuard } = await import("./server/http/forwarded");
  installForwardingGuard(app.env.PETALFLOW_TRUSTED_PROXY);
  if (app.env.PETALFLOW_COMFY_PORT) {
    const { startComfyApi } = await import("./server/interop/comfy/api/server");
    const comfy = await startComfyApi(app, { port: app.env.PETALFLOW_COMFY_PORT });
    app.log(`ComfyUI-compatible API on ${app.env.HOST}:${comfy.port}`);
  }
  const report = await app.runtime.services.sessions.providerReport();
  app.log(`worker started (concurrency ${app.env.PETALFLOW_CONCURRENCY}, ${describeProvider(report)})`);
}
