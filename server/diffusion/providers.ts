/**
 * Execution-provider selection by trying each one for real: a session of a one-node ONNX graph is
 * created and run on it. `auto` tries CUDA, then WebGPU, then CPU, and keeps why the others failed
 * (onnxruntime's own error, shortened), so the System panel, /api/health and the CLI can say which
 * provider is in use and why not a faster one. An explicit `cuda` / `webgpu` that cannot start is an
 * error, not a silent CPU run.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import "./ort-telemetry";
import * as ort from "onnxruntime-node";

export type ProviderChoice = "auto" | "cpu" | "cuda" | "webgpu";
export type ProviderName = "cpu" | "cuda" | "webgpu";

/** The order `auto` tries. */
export const AUTO_ORDER: readonly ProviderName[] = ["cuda", "webgpu", "cpu"];

export interface ProviderAttempt {
  provider: ProviderName;
  ok: boolean;
  /** Why it could not start (short), when !ok. */
  error?: string;
  ms: number;
}

export interface ProviderReport {
  requested: ProviderChoice;
  /** The provider sessions are created with; null when an explicitly requested one cannot start. */
  provider: ProviderName | null;
  /** Every provider tried, in order (the one in use last). */
  attempts: ProviderAttempt[];
  /** Set when `provider` is null: what was asked for and why it failed. */
  error?: string;
}

// ---------------------------------------------------------------------------------------------
// The probe graph: y = Relu(x), float32 [n], written as ONNX protobuf by hand (no onnx package in
// Node). Field numbers from onnx.proto: ModelProto{ir_version=1, graph=7, opset_import=8},
// GraphProto{node=1, name=2, input=11, output=12}, NodeProto{input=1, output=2, op_type=4},
// ValueInfoProto{name=1, type=2}, TypeProto{tensor_type=1}, TypeProto.Tensor{elem_type=1, shape=2},
// TensorShapeProto{dim=1}, Dimension{dim_param=2}, OperatorSetIdProto{domain=1, version=2}.
// ---------------------------------------------------------------------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** One protobuf field: a varint (number) or length-delimited (bytes or string). */
function field(no: number, value: number | string | number[]): number[] {
  if (typeof value === "number") return [...varint(no << 3), ...varint(value)];
  const bytes = typeof value === "string" ? [...Buffer.from(value, "utf8")] : value;
  return [...varint((no << 3) | 2), ...varint(bytes.length), ...bytes];
}

const ONNX_FLOAT = 1;
const ONNX_FLOAT16 = 10;

function valueInfo(name: string, elemType: number, anyRank: boolean): number[] {
  // No shape field: any rank. Else one symbolic dimension "n".
  const shape = anyRank ? [] : field(2, field(1, field(2, "n")));
  return [...field(1, name), ...field(2, field(1, [...field(1, elemType), ...shape]))];
}

/**
 * A model of one node `op_type` from x to y on tensors of the given ONNX element type: 1-D, or of any
 * rank with `anyRank`.
 */
export function oneNodeModel(opType: string, elemType = ONNX_FLOAT, anyRank = false): Uint8Array {
  const node = [...field(1, "x"), ...field(2, "y"), ...field(4, opType)];
  const graph = [
    ...field(1, node),
    ...field(2, "petalflow_probe"),
    ...field(11, valueInfo("x", elemType, anyRank)),
    ...field(12, valueInfo("y", elemType, anyRank)),
  ];
  const opset = [...field(1, ""), ...field(2, 17)];
  return new Uint8Array([...field(1, 8), ...field(8, opset), ...field(7, graph)]);
}

export const ONNX_ELEM = { float32: ONNX_FLOAT, float16: ONNX_FLOAT16 } as const;

// ---------------------------------------------------------------------------------------------
// Trying a provider
// ---------------------------------------------------------------------------------------------

/** The folder holding onnxruntime-node's native binaries for this platform. */
export function ortBinDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve("onnxruntime-node");
    return path.join(path.dirname(main), "..", "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return null;
  }
}

/** True when onnxruntime-node's CUDA provider library was installed (a separate download). */
export function cudaProviderAvailable(): boolean {
  const dir = ortBinDir();
  if (!dir) return false;
  const lib =
    process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  return fs.existsSync(path.join(dir, lib));
}

/**
 * onnxruntime's message without its source-file prefix and assertion text, e.g.
 * "/onnxruntime_src/…/webgpu_context.cc:136 … was false. Failed to get a WebGPU adapter: No supported
 * adapters" → "Failed to get a WebGPU adapter: No supported adapters".
 */
export function shortOrtError(message: string): string {
  let m = message.trim().split("\n")[0].trim();
  const lastWasFalse = m.lastIndexOf(" was false. ");
  if (lastWasFalse >= 0) m = m.slice(lastWasFalse + " was false. ".length);
  m = m.replace(/^\S+\.(cc|cpp|h):\d+\s+/, "");
  return m.length > 300 ? `${m.slice(0, 297)}…` : m;
}

function libvulkanFound(): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/lib/x86_64-linux-gnu",
    "/usr/local/lib",
  ];
  return dirs.some((d) => fs.existsSync(path.join(d, "libvulkan.so.1")));
}

/** A hint for the usual cause, appended to onnxruntime's message. */
function hint(provider: ProviderName): string {
  if (provider === "cuda" && !cudaProviderAvailable())
    return " (the CUDA provider library is not installed: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node)";
  return "";
}

/** Creates and runs the probe graph on one provider; never throws. */
export async function tryProvider(provider: ProviderName): Promise<ProviderAttempt> {
  const t0 = performance.now();
  // Without the Vulkan loader WebGPU cannot find an adapter; asking anyway makes Dawn print a warning
  // to stderr in every process (the CLI's output included), so say it without trying.
  if (provider === "webgpu" && process.platform === "linux" && !libvulkanFound())
    return {
      provider,
      ok: false,
      error:
        "Failed to get a WebGPU adapter: libvulkan.so.1 was not found (install the Vulkan loader, e.g. Debian's libvulkan1)",
      ms: 0,
    };
  // Likewise onnxruntime logs an error of its own when the CUDA provider library is missing.
  if (provider === "cuda" && !cudaProviderAvailable())
    return { provider, ok: false, error: `Failed to load shared library${hint(provider)}`, ms: 0 };
  let session: ort.InferenceSession | null = null;
  try {
    session = await ort.InferenceSession.create(oneNodeModel("Relu"), {
      executionProviders: [provider],
      logSeverityLevel: 4,
    });
    const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from([-1, 2]), [2]) });
    const y = out.y?.data as Float32Array | undefined;
    const got = y ? [...y] : [];
    if (got.join(",") !== "0,2")
      throw new Error(`the probe graph computed [${got.join(", ")}] instead of [0, 2]`);
    return { provider, ok: true, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      provider,
      ok: false,
      error: shortOrtError(message) + hint(provider),
      ms: Math.round(performance.now() - t0),
    };
  } finally {
    await session?.release().catch(() => undefined);
  }
}

/** Tries providers for a choice: `auto` in AUTO_ORDER until one starts, an explicit one alone. */
export async function selectProvider(
  choice: ProviderChoice,
  attempt: (p: ProviderName) => Promise<ProviderAttempt> = tryProvider,
): Promise<ProviderReport> {
  const attempts: ProviderAttempt[] = [];
  const order = choice === "auto" ? AUTO_ORDER : [choice];
  for (const p of order) {
    const a = await attempt(p);
    attempts.push(a);
    if (a.ok) return { requested: choice, provider: p, attempts };
  }
  const last = attempts[attempts.length - 1];
  return {
    requested: choice,
    provider: null,
    attempts,
    error:
      choice === "auto"
        ? `no execution provider could start (${attempts.map((a) => `${a.provider}: ${a.error}`).join("; ")})`
        : `the ${choice} execution provider was requested (PETALFLOW_PROVIDER / --provider) but cannot start: ${last.error}. Use "auto" to fall back to the CPU.`,
  };
}

const selections = new Map<ProviderChoice, Promise<ProviderReport>>();

/** selectProvider, once per process and choice (the probe creates a GPU context; once is enough). */
export function selectProviderOnce(choice: ProviderChoice): Promise<ProviderReport> {
  let s = selections.get(choice);
  if (!s) {
    s = selectProvider(choice);
    selections.set(choice, s);
  }
  return s;
}

/** One line: "provider cpu (auto; cuda: …; webgpu: …)", or the error. */
export function describeProvider(r: ProviderReport): string {
  if (!r.provider) return `provider: none — ${r.error}`;
  const failed = r.attempts.filter((a) => !a.ok).map((a) => `${a.provider} failed: ${a.error}`);
  const detail = [r.requested === r.provider ? "requested" : r.requested, ...failed].join("; ");
  return `provider: ${r.provider} (${detail})`;
}
