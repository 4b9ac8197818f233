/**
 * A pool server process for the restart test: the app (queue, worker loop, pool) on the given database
 * with its /api/worker/* routes on a fixed port, running until killed.
 * Usage: node --import tsx server-child.ts <dir> <databaseUrl> <redisUrl> <port>
 */
import { createApp } from "../../../server/app";
import { testEnv } from "../helpers/app";
import { serveWorkerRoutes, WORKER_TOKEN } from "./harness";

const [dir, databaseUrl, redisUrl, port] = process.argv.slice(2);
const app = await createApp({
  env: testEnv(dir, databaseUrl, { PETALFLOW_REDIS_URL: redisUrl, PETALFLOW_WORKER_TOKEN: WORKER_TOKEN }),
  pollMs: 50,
  log: (m) => console.error(m),
});
await serveWorkerRoutes(app, Number(port));
console.log(`ready ${process.pid}`);
