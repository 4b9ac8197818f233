/** `npm run bench`: every benchmark in turn; each file also runs alone (`npx tsx bench/<name>.ts`). */
import { engineOverhead } from "./engine-overhead";
import { memory } from "./memory";
import { noiseScheduler } from "./noise-scheduler";
import { seedRerun } from "./seed-rerun";

console.log(
  `Petalflow benchmarks — ${new Date().toISOString()} — ratios against baselines measured in this run`,
);
await engineOverhead();
await seedRerun();
await memory();
await noiseScheduler();
