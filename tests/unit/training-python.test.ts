/**
 * The training tool's own Python tests (training/tests: settings, the schedule and DDIM shared with
 * scripts/reference, the model card, the palette the TypeScript judge uses), run with Debian's python3
 * when it is there. Tests that need torch or numpy skip themselves where those are not installed.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
// Debian's interpreter: it is the one with python3-torch/numpy (a pyenv python3 on PATH may lack them).
const PYTHON = ["/usr/bin/python3", "/bin/python3"].find((p) => fs.existsSync(p));

it.skipIf(!PYTHON)("the training tool's Python tests pass", (ctx) => {
  const run = spawnSync(PYTHON!, ["-m", "unittest", "discover", "-s", "tests", "-t", ".", "-v"], {
    cwd: path.join(ROOT, "training"),
    env: { ...process.env, PYTHONPATH: path.join(ROOT, "training"), PYTHONDONTWRITEBYTECODE: "1" },
    encoding: "utf8",
    timeout: 120_000,
  });
  const out = `${run.stdout}${run.stderr}`;
  expect(run.status, out).toBe(0);
  const ran = Number(/Ran (\d+) tests?/.exec(out)?.[1] ?? 0);
  expect(ran, out).toBeGreaterThanOrEqual(10);
  const skipped = Number(/skipped=(\d+)/.exec(out)?.[1] ?? 0);
  if (skipped > 0) ctx.annotate(`${skipped} of ${ran} Python tests skipped (torch/numpy not installed)`);
});
