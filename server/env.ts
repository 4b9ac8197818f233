/**
 * Configuration from environment variables, parsed once with zod. Every variable is documented in the
 * README's "Configuration" table; a bad value stops the process with a message naming the variable.
 */
import { z } from "zod";

/** The SQLite database when DATABASE_URL is not set (relative to the working directory). */
export const DEFAULT_DATABASE_URL = "file:./data/petalflow.db";

const mb = (def: number) => z.coerce.number().int().min(1).max(1_000_000).default(def);

/** The fields alone (pick from these: a refined schema cannot be picked). */
export const envFields = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Required when HOST is not a loopback address: every API call must carry it. */
  PETALFLOW_TOKEN: z.string().min(16, "PETALFLOW_TOKEN must be at least 16 characters").optional(),
  DATABASE_URL: z.string().startsWith("file:").default(DEFAULT_DATABASE_URL),
  PETALFLOW_DATA_DIR: z.string().default("./data"),
  PETALFLOW_MODELS_DIR: z.string().default("./models"),
  PETALFLOW_PROVIDER: z.enum(["auto", "cpu", "cuda", "webgpu"]).default("auto"),
  /** Loaded ONNX sessions are kept in an LRU up to this many MiB of model files. */
  PETALFLOW_SESSION_CACHE_MB: mb(4096),
  /**
   * onnxruntime's intra-op threads per session; 0: its default (one per core). Set it when several
   * runner processes (PETALFLOW_CONCURRENCY) or pool workers share one host's cores.
   */
  PETALFLOW_ORT_THREADS: z.coerce.number().int().min(0).max(256).default(0),
  /** Node outputs kept between runs (the execution cache), in MiB. */
  PETALFLOW_OUTPUT_CACHE_MB: mb(512),
  /**
   * Where runs execute. "process": in a long-lived child process of the server (server/runner), so
   * that ONNX inference, which runs synchronously, never stalls API calls and event streams; it is
   * restarted if it dies. "inline": in the server process itself (tests, debugging).
   */
  PETALFLOW_RUNNER: z.enum(["process", "inline"]).default("process"),
  /**
   * A node's progress events (step counts, latent previews) at most this often, in ms; its first and
   * last step always report. 0: every step. Fast steps otherwise flood the event stream for no one.
   */
  PETALFLOW_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).max(10_000).default(50),
  /** Runs executed at once per device. */
  PETALFLOW_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(1),
  /**
   * A running run belongs to its server while that server heartbeats (every third of this, in ms);
   * another server on the same database reclaims it (interrupted) only after a whole period without.
   */
  PETALFLOW_LEASE_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  PETALFLOW_MAX_QUEUE_PER_CLIENT: z.coerce.number().int().min(1).max(10000).default(200),
  /** Queued runs of all clients together (client ids are self-declared; this bounds them all). */
  PETALFLOW_MAX_QUEUE: z.coerce.number().int().min(1).max(100_000).default(1000),
  /**
   * The address of a reverse proxy whose X-Forwarded-For is believed (per-client queue limits). From
   * anyone else the header is dropped and the connection's own address counts.
   */
  PETALFLOW_TRUSTED_PROXY: z.string().max(200).optional(),
  /** Largest image (width × height) a node may make or accept. */
  PETALFLOW_MAX_PIXELS: z.coerce.number().int().min(64).max(67_108_864).default(4_194_304),
  /** Upper bound on width × height × batch × steps of one sampler call: the work one run may ask for. */
  PETALFLOW_MAX_WORK: z.coerce.number().int().min(1).default(2_000_000_000),
  PETALFLOW_MAX_UPLOAD_MB: mb(20),
  /** Largest API request body (a PNG import travels as base64 inside one). */
  PETALFLOW_MAX_REQUEST_MB: mb(40),
  /**
   * Opt-in: a ComfyUI-compatible HTTP + WebSocket API (/prompt, /history, /view, /queue, /ws …) on
   * this port, bound to HOST like the main server (server/interop/comfy/api).
   */
  PETALFLOW_COMFY_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /**
   * Opt-in worker pool (server/pool): runs go to BullMQ on this Redis (`redis://[:password@]host:port`)
   * and execute on `npm run worker` processes; unset, the embedded SQLite queue + runner child run them.
   */
  PETALFLOW_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "PETALFLOW_REDIS_URL must start with redis://")
    .optional(),
  /** The token pool workers present to /api/worker/* (never the user token, which it must differ from). */
  PETALFLOW_WORKER_TOKEN: z
    .string()
    .min(16, "PETALFLOW_WORKER_TOKEN must be at least 16 characters")
    .optional(),
  /** Runs handed to the pool at once (they wait in BullMQ until a worker takes them). */
  PETALFLOW_POOL_MAX_ACTIVE: z.coerce.number().int().min(1).max(10_000).default(64),
  /** A pool worker's (`npm run worker`) server, for its uploads and inputs. */
  PETALFLOW_SERVER_URL: z
    .url("PETALFLOW_SERVER_URL must be the server's URL, e.g. http://server:3000")
    .optional(),
  /** A pool worker's name in the registry (default host-pid-random). */
  PETALFLOW_WORKER_ID: z
    .string()
    .regex(/^[\w.-]{1,100}$/, "letters, digits, _ . - (at most 100)")
    .optional(),
  /** A pool worker's heartbeat period (ms); its registry entry expires after three missed ones. */
  PETALFLOW_WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
  /** How long a pool worker's BullMQ lock on its job lasts (ms): a dead worker's job waits this long. */
  PETALFLOW_POOL_LOCK_MS: z.coerce.number().int().min(500).max(600_000).default(30_000),
});

export const envSchema = envFields.refine(
  (e) => !e.PETALFLOW_WORKER_TOKEN || e.PETALFLOW_WORKER_TOKEN !== e.PETALFLOW_TOKEN,
  {
    message:
      "PETALFLOW_WORKER_TOKEN must differ from PETALFLOW_TOKEN (a worker must not be able to read the library)",
    path: ["PETALFLOW_WORKER_TOKEN"],
  },
);
export type Env = z.infer<typeof envSchema>;

let cached: Env | undefined;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return parseConfig(envSchema, source);
}

/** `schema.parse(source)`, failing with one line per bad variable. */
export function parseConfig<S extends z.ZodType>(schema: S, source: unknown): z.infer<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

export function env(): Env {
  cached ??= loadEnv();
  return cached;
}

/** The address to bind: "[::1]" (URL form) is "::1" to listen(). */
export function bindAddress(host: string): string {
  return /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}
