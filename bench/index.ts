/** `npm run bench`: every benchmark in turn; each file also runs alone (`npx tsx bench/<name>.ts`). */
import { cpus, loadavg } from "node:os";
import { cliStart } from "./cli-start";
import { engineOverhead } from "./engine-overhead";
import { benchModel } from "./lib";
import { memory } from "./memory";
import { noiseScheduler } from "./noise-scheduler";
import { pool } from "./pool";
import { seedRerun } from "./seed-rerun";
import { startServer } from "./server-lib";
import { serverPath } from "./server-path";
import { throughput } from "./throughput";
import { torchPeer } from "./torch-peer";

console.log(
  `Petalflow benchmarks — ${new Date().toISOString()} — ratios against baselines measured in this run` +
    ` — ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)} (1 min)`,
);
await engineOverhead();
await torchPeer();
await seedRerun();
// The server benchmarks share one built app on 127.0.0.1 (started once, stopped by its PID).
const server = await startServer({ modelsDir: benchModel().modelsDir });
try {
  await serverPath({ server });
  await memory();
  await throughput({ server });
  await (await import("./editor")).editor({ server });
} finally {
  await server.stop();
}
await noiseScheduler();
await (await import("./families")).families();
await pool();
await cliStart();
console.log(
  `\nload average at the end: ${loadavg()[0].toFixed(1)} (1 min), ${loadavg()[1].toFixed(1)} (5 min)`,
);
