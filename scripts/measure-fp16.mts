/**
 * float16 against float32 on the CPU, through Petalflow's own session cache (the app's path): resident
 * memory after loading and after the first run, and the median time of a U-Net-sized call.
 *
 *   /usr/bin/python3 scripts/fixtures/make_fp16_pair.py /tmp/fp16pair
 *   npx tsx scripts/measure-fp16.ts /tmp/fp16pair          # one child process per precision
 *
 * Memory is the process's RSS growth (MiB), so each precision is measured in a fresh process.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { SessionCache } from "../server/diffusion/sessions";

const MiB = 1024 * 1024;

async function measure(dir: string, kind: string) {
  const file = path.join(dir, kind, "unet", "model.onnx");
  const cache = new SessionCache({ budgetBytes: 4096 * MiB, provider: "cpu", log: () => {} });
  const rss0 = process.memoryUsage().rss;
  const model = await cache.get({ modelId: kind, part: "unet", file });
  const rssLoaded = process.memoryUsage().rss;
  const dims = [2, 4, 32, 32];
  const data = Float32Array.from({ length: 2 * 4 * 32 * 32 }, (_, i) => Math.sin(i));
  const times: number[] = [];
  let out: Float32Array | null = null;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    out = (await model.run({ sample: { dims, data } })).out_sample.data;
    times.push(performance.now() - t);
  }
  const rssRun = process.memoryUsage().rss;
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      kind,
      inputDtype: model.inputs[0].dtype,
      loadMiB: +((rssLoaded - rss0) / MiB).toFixed(1),
      afterRunMiB: +((rssRun - rss0) / MiB).toFixed(1),
      medianMs: +times[2].toFixed(1),
      checksum: out
        ? +out
            .slice(0, 64)
            .reduce((a, b) => a + b, 0)
            .toFixed(4)
        : null,
    }),
  );
  await cache.clear();
}

const [dir, kind] = process.argv.slice(2);
if (kind) await measure(dir, kind);
else
  for (const k of ["fp32", "fp16"])
    process.stdout.write(
      execFileSync(process.execPath, [...process.execArgv, process.argv[1], dir, k], { encoding: "utf8" }),
    );
