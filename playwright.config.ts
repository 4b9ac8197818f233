/**
 * End-to-end tests in a real browser (Debian's chromium by default) against the built app, served by
 * `scripts/start.ts` on a free 127.0.0.1 port with a throw-away database and data directory.
 *
 *   npx playwright test                      # builds first if the sources changed
 *   PLAYWRIGHT_CHROMIUM_PATH=… npx playwright test   # another chromium (e.g. Playwright's own)
 *
 * The port and directory are chosen once, in the main process, and passed to workers through the
 * environment (workers load this file again).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";
import { chromiumLaunchOptions } from "./tests/e2e/chromium";

function freePort(): string {
  return execFileSync(process.execPath, [
    "-e",
    "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ]).toString();
}

// PETALFLOW_E2E_BASE_URL: test a server that is already running (e.g. `next dev`) instead of starting one.
const external = process.env.PETALFLOW_E2E_BASE_URL;
if (!external) {
  process.env.PETALFLOW_E2E_PORT ??= freePort();
  process.env.PETALFLOW_E2E_DIR ??= mkdtempSync(path.join(tmpdir(), "petalflow-e2e-"));
}
const port = process.env.PETALFLOW_E2E_PORT ?? "";
const dataDir = process.env.PETALFLOW_E2E_DIR ?? "";
const baseURL = external ?? `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results",
  // One server, one queue: the specs run in order, one at a time.
  workers: 1,
  fullyParallel: false,
  retries: process.env.CI ? 2 : 0,
  // Generous: limits are for hangs, not for speed (a loaded 2-core machine runs the server, the runner
  // and the browser at once). A spec's own longer waits (a whole run) stay inside the test's limit.
  timeout: 300_000,
  expect: { timeout: 30_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL,
    viewport: { width: 1280, height: 800 },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: chromiumLaunchOptions,
  },
  projects: [
    { name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 } } },
  ],
  webServer: external
    ? undefined
    : {
        command: "node_modules/.bin/tsx scripts/start.ts",
        url: `${baseURL}/api/health`,
        // It may have to build first (`next build`): minutes, many on a loaded machine. Bounded for a hang.
        timeout: 900_000,
        reuseExistingServer: false,
        stdout: "pipe",
        stderr: "pipe",
        env: {
          HOST: "127.0.0.1",
          PORT: port,
          DATABASE_URL: `file:${path.join(dataDir, "e2e.db")}`,
          PETALFLOW_DATA_DIR: dataDir,
          PETALFLOW_MODELS_DIR: process.env.PETALFLOW_E2E_MODELS_DIR ?? "models",
          NEXT_TELEMETRY_DISABLED: "1",
        },
      },
});
