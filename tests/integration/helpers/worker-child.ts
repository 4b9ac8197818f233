/**
 * A server process stand-in for the restart test: the app and its worker on the given temporary
 * database, running until it is killed; runs execute in a runner grandchild, as in the real server.
 * Usage: node --import tsx worker-child.ts <dir> <databaseUrl>
 */
import { createApp } from "../../../server/app";
import { testEnv } from "./app";

const [dir, databaseUrl] = process.argv.slice(2);
const app = await createApp({
  env: testEnv(dir, databaseUrl),
  pollMs: 50,
  runner: "process",
  log: (m) => console.error(m),
});
console.log(`ready ${process.pid} ${app.env.PETALFLOW_CONCURRENCY}`);
// Stay alive: the worker's timer is unref'd.
setInterval(() => undefined, 1 << 30);
