import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRuntime, DEFAULT_LIMITS } from "../../../server/runtime/create";
import { DirectoryArtifacts } from "../../../server/runtime/directory-artifacts";

const MiB = 1024 * 1024;

/**
 * A CPU runtime on a models folder, as the integration tests use it: quiet, default limits, artifacts
 * in `outDir` (a new temporary folder by default).
 */
export function cpuRuntime(
  modelsDir: string,
  opts: { sessionMiB?: number; cacheMiB?: number; outDir?: string } = {},
) {
  return createRuntime({
    modelsDir,
    provider: "cpu",
    sessionBudgetBytes: (opts.sessionMiB ?? 64) * MiB,
    outputCacheBytes: (opts.cacheMiB ?? 64) * MiB,
    artifacts: new DirectoryArtifacts(
      opts.outDir ?? mkdtempSync(path.join(tmpdir(), "pf-runtime-")),
      process.cwd(),
    ),
    limits: DEFAULT_LIMITS,
    log: () => {},
  });
}
