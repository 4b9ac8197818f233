/**
 * Benchmark — CLI start: the time from spawning the graph CLI to its first line of output, for
 * `validate` (its verdict) and `run --json` (the run.started event), through the prebuilt bundle that
 * `npm run graph` uses (scripts/graph-cli.mjs) ÷ through tsx compiling scripts/graph.ts at start (how
 * it ran before). Also a bare `node -e 0` start: the floor neither can go under. Goal ≤ 0.4 s.
 */
import { spawn } from "node:child_process";
import { benchModel, median, report, spread } from "./lib";

/** ms from spawn to the first byte on stdout; the process is left to finish. */
function firstOutput(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "ignore"] });
    let at: number | null = null;
    child.stdout.once("data", () => {
      at = performance.now() - t0;
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (at === null) reject(new Error(`${args.join(" ")} printed nothing (exit ${code})`));
      else resolve(at);
    });
  });
}

export async function cliStart(repeats = Math.max(5, Number(process.env.BENCH_REPEATS ?? 8))) {
  const { modelsDir, model } = benchModel();
  const file = "examples/txt2img.json";
  const runArgs = ["run", file, "--json", "--models", modelsDir, "--set", `model.model=${model}`];
  await new Promise((resolve) =>
    spawn(process.execPath, ["scripts/graph-cli.mjs", "--build"], { stdio: "inherit" }).once("exit", resolve),
  );
  const cases = {
    floor: ["-e", "console.log(1)"],
    bundleValidate: ["scripts/graph-cli.mjs", "validate", file],
    tsxValidate: ["--import", "tsx", "scripts/graph.ts", "validate", file],
    bundleRun: ["scripts/graph-cli.mjs", ...runArgs, "--out", "out/bench-cli"],
    tsxRun: ["--import", "tsx", "scripts/graph.ts", ...runArgs, "--out", "out/bench-cli"],
  } as const;
  const times: Record<keyof typeof cases, number[]> = {
    floor: [],
    bundleValidate: [],
    tsxValidate: [],
    bundleRun: [],
    tsxRun: [],
  };
  const names = Object.keys(cases) as (keyof typeof cases)[];
  for (const n of names) await firstOutput([...cases[n]]); // warm the file cache
  for (let i = 0; i < repeats; i++)
    for (const n of i % 2 ? [...names].reverse() : names) times[n].push(await firstOutput([...cases[n]]));
  const ratio = (a: number[], b: number[]) => spread(a.map((x, i) => x / b[i]));
  const ok = (xs: number[]) => median(xs) <= 400;
  report(`CLI start to its first output line (${repeats} interleaved rounds)`, [
    { name: "node -e (the floor)", value: spread(times.floor, " ms") },
    {
      name: "validate: bundle",
      value: spread(times.bundleValidate, " ms"),
      goal: "≤ 400 ms",
      ok: ok(times.bundleValidate),
    },
    { name: "validate: tsx", value: spread(times.tsxValidate, " ms") },
    { name: "  ratio bundle ÷ tsx", value: ratio(times.bundleValidate, times.tsxValidate) },
    {
      name: "run --json, first event: bundle",
      value: spread(times.bundleRun, " ms"),
      goal: "≤ 400 ms",
      ok: ok(times.bundleRun),
    },
    { name: "run --json, first event: tsx", value: spread(times.tsxRun, " ms") },
    { name: "  ratio bundle ÷ tsx", value: ratio(times.bundleRun, times.tsxRun) },
  ]);
  return { validateMs: median(times.bundleValidate), runMs: median(times.bundleRun) };
}

if (import.meta.url === `file://${process.argv[1]}`) await cliStart();
