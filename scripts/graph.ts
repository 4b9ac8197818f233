/**
 * Headless CLI: validate and run graph documents without a browser.
 *   npm run graph -- validate <file.json> [--json]
 *   npm run graph -- run <file.json> [--seed N | --seeds 1..8 | --seeds 3,7,9] [--set node.param=value]… [--out DIR] [--json]
 * Exit codes: 0 success, 1 run failed, 2 invalid document or arguments.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { type GraphDocument, graphDocumentSchema } from "../core/graph/document";
import { applyOverrides, parseSeedList, parseSetArgument } from "../core/graph/overrides";
import { validateDocument } from "../core/graph/validate";
import type { RunEvent } from "../core/run/events";
import { registry } from "../nodes/registry";

const USAGE = `usage:
  npm run graph -- validate <file.json> [--json]
  npm run graph -- run <file.json> [--seed N | --seeds 1..8 | --seeds 3,7,9] [--set <nodeId>.<param>=<value>]… [--out DIR] [--models DIR] [--json]`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      seed: { type: "string" },
      seeds: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      out: { type: "string", default: "out" },
      models: { type: "string", default: process.env.PETALFLOW_MODELS_DIR ?? "models" },
      provider: { type: "string", default: process.env.PETALFLOW_PROVIDER ?? "auto" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const [command, file] = positionals;
  if (!command || !file || !["validate", "run"].includes(command)) throw new UsageError(USAGE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    raw = text; // validation reports it as invalid JSON, with the same error shape as other problems
    void e;
  }

  if (command === "validate") {
    const result = validateDocument(raw, registry);
    if (values.json)
      console.log(JSON.stringify({ ok: result.ok, errors: result.errors, warnings: result.warnings }));
    else if (result.ok) console.log(`${file}: valid (${result.document!.nodes.length} nodes)`);
    else
      for (const e of result.errors)
        console.error(`${e.nodeId ?? "document"}${e.field ? `.${e.field}` : ""}: ${e.message}`);
    return result.ok ? 0 : 2;
  }

  // run
  if (values.seed !== undefined && values.seeds !== undefined)
    throw new UsageError("use --seed or --seeds, not both");
  let seeds: (bigint | null)[];
  let sets: ReturnType<typeof parseSetArgument>[];
  try {
    if (values.seeds !== undefined) seeds = parseSeedList(values.seeds);
    else if (values.seed !== undefined) seeds = parseSeedList(values.seed);
    else seeds = [null];
    sets = (values.set ?? []).map(parseSetArgument);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const first = validateDocument(raw, registry);
  if (!first.ok) {
    if (values.json) console.log(JSON.stringify({ type: "validation.failed", errors: first.errors }));
    else
      for (const e of first.errors)
        console.error(`${e.nodeId ?? "document"}${e.field ? `.${e.field}` : ""}: ${e.message}`);
    return 2;
  }
  const base = graphDocumentSchema.parse(raw);
  const provider = values.provider as "auto" | "cpu" | "cuda" | "webgpu";
  if (!["auto", "cpu", "cuda", "webgpu"].includes(provider))
    throw new UsageError(`--provider must be auto, cpu, cuda or webgpu`);
  // The runtime (onnxruntime's native library and everything on it) loads only for `run`: `validate`
  // answers without it (see scripts/graph-cli.mjs, which keeps these imports as separate chunks).
  const [ort, { describeProvider }, { createRuntime }, { DirectoryArtifacts }, { runtimeOptions }] =
    await Promise.all([
      import("onnxruntime-node"),
      import("../server/diffusion/providers"),
      import("../server/runtime/create"),
      import("../server/runtime/directory-artifacts"),
      import("../server/runtime/options"),
    ]);
  // onnxruntime's own log would print the provider probes' failures (ahead of our summary line); its
  // errors still reach us as exceptions.
  ort.env.logLevel = "fatal";
  // The server's settings and limits (PETALFLOW_*), with --models and --provider over them.
  let settings: ReturnType<typeof runtimeOptions>;
  try {
    settings = runtimeOptions({
      ...process.env,
      PETALFLOW_MODELS_DIR: values.models,
      PETALFLOW_PROVIDER: provider,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { executor, services } = createRuntime({
    ...settings,
    artifacts: new DirectoryArtifacts(values.out!, process.cwd()),
    log: (m) => console.error(m),
  });
  // First line: the provider in use and why not the faster ones (stderr: stdout's --json lines are a contract).
  const report = await services.sessions.providerReport();
  console.error(describeProvider(report));
  if (!report.provider) return 1;
  const progress = !values.json && process.stderr.isTTY ? new ProgressLine() : null;
  let failed = false;
  for (const seed of seeds) {
    let doc: GraphDocument;
    try {
      doc = applyOverrides(base, registry, { seed: seed ?? undefined, set: sets });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const summary = await executor.run(doc, {
      previews: false,
      onEvent: (e) => {
        if (values.json) console.log(JSON.stringify(e));
        else progress?.update(e);
        if (!values.json && e.type === "node.warning") progress?.clear();
        if (!values.json) reportPlain(e);
      },
    });
    progress?.clear();
    if (summary.status !== "succeeded") failed = true;
  }
  return failed ? 1 : 0;
}

/** Warnings already printed (plain mode): a cached node repeats its warnings on every run of --seeds. */
const warned = new Set<string>();

function reportPlain(e: RunEvent): void {
  switch (e.type) {
    case "node.warning": {
      const line = `⚠ ${e.nodeType} "${e.nodeId}": ${e.message}`;
      if (!warned.has(line)) console.error(line);
      warned.add(line);
      break;
    }
    case "node.failed":
      console.error(`✗ ${e.nodeType} "${e.nodeId}": ${e.error.message}`);
      break;
    case "node.finished":
      for (const f of e.files ?? []) console.log(f.path);
      break;
    case "run.finished": {
      const counts = Object.values(e.results).reduce<Record<string, number>>((a, r) => {
        a[r.status] = (a[r.status] ?? 0) + 1;
        return a;
      }, {});
      console.error(
        `✓ done in ${(e.ms / 1000).toFixed(2)} s (${Object.entries(counts)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")})`,
      );
      break;
    }
    case "run.failed":
      if (!e.error.nodeId) console.error(`✗ ${e.error.message}`);
      break;
    case "run.cancelled":
      console.error("run cancelled");
      break;
  }
}

/** A one-line progress bar on a terminal: the node running and its step. */
class ProgressLine {
  update(e: RunEvent): void {
    if (e.type === "node.started") this.draw(`${e.nodeType} "${e.nodeId}"`);
    else if (e.type === "node.progress") {
      const width = 24;
      const filled = Math.round((e.step / e.total) * width);
      this.draw(
        `${e.nodeType} "${e.nodeId}" [${"█".repeat(filled)}${" ".repeat(width - filled)}] ${e.step}/${e.total}`,
      );
    }
  }
  draw(text: string): void {
    process.stderr.write(`\r\x1b[2K${text}`);
  }
  clear(): void {
    process.stderr.write("\r\x1b[2K");
  }
}

// A reader that stops early (`| head`, a closed pipe) is the user's choice, not a crash: exit quietly
// with what was written, as command-line tools do, instead of an unhandled EPIPE stack trace.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(e instanceof UsageError ? e.message : `error: ${(e as Error).stack ?? e}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
