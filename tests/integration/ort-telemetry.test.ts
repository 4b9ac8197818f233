/**
 * onnxruntime-node's telemetry stays off in every process that creates sessions (see
 * server/diffusion/ort-telemetry.ts): a process that picks its provider — the first session any server,
 * runner, worker or CLI creates — leaves nothing under its HOME. A user who sets ORT_DISABLE_TELEMETRY=0
 * gets onnxruntime's default back (which is also what shows this test can fail).
 * onnxruntime also turns its telemetry off by itself where it sees a CI service's variable (CI,
 * GITHUB_ACTIONS, …), and puts its files under XDG_CACHE_HOME when set: the children run without those,
 * as on a user's machine, so the first test does not pass merely because it runs in CI.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const homes: string[] = [];
/** Variables that change onnxruntime's telemetry on their own (read from its library's strings). */
const AMBIENT =
  /^(CI|CI_.*|TF_BUILD|GITHUB_ACTIONS|GITLAB_CI|CIRCLECI|TRAVIS|JENKINS_URL|CODEBUILD_BUILD_ID|BUILDKITE|TEAMCITY_VERSION|APPVEYOR|BITBUCKET_BUILD_NUMBER|XDG_CACHE_HOME|ORT_DISABLE_TELEMETRY)$/;
afterAll(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

/** Picks the CPU provider (a real one-node session) in a fresh process with its own HOME. */
async function pickProviderIn(env: Record<string, string>): Promise<{ home: string; pid: number }> {
  const home = mkdtempSync(path.join(tmpdir(), "pf-ort-home-"));
  homes.push(home);
  const base = { ...process.env };
  for (const k of Object.keys(base)) if (AMBIENT.test(k)) delete base[k];
  const script = `
    const { selectProviderOnce } = await import("./server/diffusion/providers.ts");
    const r = await selectProviderOnce("cpu");
    if (r.provider !== "cpu") throw new Error("no cpu provider");
    console.log(process.pid);`;
  const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: { ...base, HOME: home, ...env },
    encoding: "utf8",
  });
  return { home, pid: Number(stdout.trim()) };
}

const telemetryDir = (home: string) =>
  path.join(home, ".cache", "Microsoft", "DeveloperTools", ".onnxruntime");

describe("onnxruntime telemetry", () => {
  it("is off by default: no device id, no event database, no debug log", async () => {
    const { home, pid } = await pickProviderIn({});
    expect(existsSync(path.join(home, ".cache", "Microsoft"))).toBe(false);
    expect(existsSync(`/tmp/mat-debug-${pid}.log`)).toBe(false);
  }, 60_000);

  it("honours the user's own ORT_DISABLE_TELEMETRY=0", async () => {
    const { home, pid } = await pickProviderIn({ ORT_DISABLE_TELEMETRY: "0" });
    expect(existsSync(path.join(telemetryDir(home), "deviceid"))).toBe(true);
    rmSync(`/tmp/mat-debug-${pid}.log`, { force: true });
  }, 60_000);
});
