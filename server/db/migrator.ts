/**
 * Prisma migrations without Prisma's native schema engine.
 *
 * `prisma migrate dev/deploy` always spawn the native schema-engine binary, which cannot be downloaded
 * here. This module drives `@prisma/schema-engine-wasm` (the same engine compiled to wasm) through the
 * better-sqlite3 driver adapter instead. It reads and writes the standard layout
 * (`prisma/migrations/<timestamp>_<name>/migration.sql`, `migration_lock.toml`) and the standard
 * `_prisma_migrations` table (checksum = sha256 hex of migration.sql), so `prisma migrate deploy` on a
 * machine that has the native engine sees the same history.
 */
import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
} from "@prisma/driver-adapter-utils";
import type { MigrationList, SchemaEngine, SchemaFilter } from "@prisma/schema-engine-wasm";
import * as engineRuntime from "@prisma/schema-engine-wasm/schema_engine_bg";
import Database from "better-sqlite3";
import { checkDatabaseFile } from "./health";

export const DEFAULT_MIGRATIONS_DIR = "prisma/migrations";
export const DEFAULT_SCHEMA_PATH = "prisma/schema.prisma";
const LOCKFILE = "migration_lock.toml";
const NO_FILTER: SchemaFilter = { externalTables: [], externalEnums: [] };

export interface MigrateOptions {
  /** Folder holding `<timestamp>_<name>/migration.sql`; default `prisma/migrations` (relative to cwd). */
  migrationsDir?: string;
  /** Receives the engine's log lines (verbose); default: dropped. */
  log?: (line: string) => void;
  /** Called (deploy) just before a pending migration starts, with its folder name. */
  onApply?: (name: string) => void;
}

export interface MigrateDevOptions extends MigrateOptions {
  /** Migration name, e.g. "add_run_label"; sanitised like Prisma does (snake_case). */
  name: string;
  /** Default `prisma/schema.prisma` (relative to cwd). */
  schemaPath?: string;
  /** Create the migration but do not apply it (like `--create-only`). */
  createOnly?: boolean;
  /** Accept data-loss warnings (like `--force`); without it a migration with warnings is refused. */
  acceptDataLoss?: boolean;
}

export interface MigrateDevResult {
  /** Migrations that were pending and got applied before diffing. */
  appliedBefore: string[];
  /** Folder name of the new migration, or null when the schema matched the migrations. */
  created: string | null;
  /** Migrations applied after creating the new one (normally [created]). */
  applied: string[];
  /** Data-loss warnings the engine reported for the new migration. */
  warnings: string[];
}

/** sha256 hex of a migration script, as stored in `_prisma_migrations.checksum`. */
export function migrationChecksum(script: string): string {
  return createHash("sha256").update(script, "utf8").digest("hex");
}

/**
 * Applies every pending migration of `migrationsDir` to `databaseUrl` (`file:<path>`), creating the
 * database file (and its folder) if missing. Idempotent: returns `applied: []` when up to date.
 * Each migration is applied in one transaction with its bookkeeping row (a crash leaves it not
 * applied, never half-applied). Throws when a migration fails (nothing of it is kept), when a failed
 * migration is recorded (by an older version that applied statement by statement), or when an applied migration.sql was edited (checksum mismatch).
 * Run it before any PrismaClient opens the file: the engine takes an exclusive lock (else SQLITE_BUSY).
 */
export async function migrateDeploy(
  databaseUrl: string,
  options: MigrateOptions = {},
): Promise<{ applied: string[]; warnings: string[] }> {
  const migrationsDir = path.resolve(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  ensureDbFolder(databaseUrl);
  // Before anything opens the file: a damaged file is a sentence, not an engine backtrace, and a torn
  // write-ahead log is reported before SQLite's recovery silently drops its tail.
  const file = sqliteFilePath(databaseUrl);
  const warnings = file ? checkDatabaseFile(file) : [];
  const result = await withEngine(databaseUrl, undefined, options.log, async (engine) => {
    const list = readMigrations(migrationsDir);
    await ensureMigrationsTable(engine, migrationsDir);
    const diagnosis = await engine.diagnoseMigrationHistory({
      migrationsList: list,
      optInToShadowDatabase: false,
      filters: NO_FILTER,
    });
    if (diagnosis.failedMigrationNames.length > 0) {
      throw new Error(
        `Migration(s) previously failed in this database: ${diagnosis.failedMigrationNames.join(", ")}. ` +
          "Fix the database by hand, then run `tsx scripts/migrate.ts resolve --rolled-back <name>` " +
          "(to run it again) or `--applied <name>` (if it was completed by hand).",
      );
    }
    if (diagnosis.editedMigrationNames.length > 0) {
      throw new Error(
        `Migration(s) were edited after being applied: ${diagnosis.editedMigrationNames.join(", ")} ` +
          "(checksum mismatch). Restore the original migration.sql.",
      );
    }
    // In-memory databases live in the engine's own connection: nothing to make atomic there.
    if (!sqliteFilePath(databaseUrl)) {
      const { appliedMigrationNames } = await engine.applyMigrations({
        migrationsList: list,
        filters: NO_FILTER,
      });
      return { applied: appliedMigrationNames };
    }
    return list;
  }).then((done) =>
    "applied" in done ? done : applyAtomically(sqliteFilePath(databaseUrl)!, migrationsDir, done, options),
  );
  return { ...result, warnings };
}

/**
 * Applies the pending migrations of `list`, each in one SQLite transaction together with its
 * `_prisma_migrations` row, so that a crash (kill -9, power loss) mid-migration leaves the database as
 * it was before that migration, never half-migrated with an unfinished bookkeeping row (which the
 * engine's own applyMigrations, statement by statement, can leave behind). SQLite DDL is
 * transactional. Foreign keys are off during a migration (Prisma's table redefinitions expect that:
 * the PRAGMA in the script is a no-op inside a transaction) and checked before commit.
 */
function applyAtomically(
  file: string,
  migrationsDir: string,
  list: MigrationList,
  options: MigrateOptions,
): { applied: string[] } {
  const db = new Database(file);
  try {
    db.pragma("busy_timeout = 5000");
    const applied: string[] = [];
    db.pragma("foreign_keys = OFF");
    // Checked inside each transaction: another process may be migrating the same file right now.
    const isDone = db.prepare(
      "SELECT 1 FROM _prisma_migrations WHERE migration_name = ? AND finished_at IS NOT NULL AND rolled_back_at IS NULL",
    );
    const record = db.prepare(
      "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count) VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)",
    );
    for (const m of list.migrationDirectories) {
      if (isDone.get(m.path)) continue;
      if (m.migrationFile.content.tag !== "ok")
        throw new Error(
          `cannot read ${path.join(migrationsDir, m.path, "migration.sql")}: ${m.migrationFile.content.value}`,
        );
      const script = m.migrationFile.content.value;
      options.onApply?.(m.path);
      const startedAt = sqlNow();
      const ran = db
        .transaction(() => {
          if (isDone.get(m.path)) return false;
          db.exec(script);
          const broken = db.pragma("foreign_key_check") as unknown[];
          if (broken.length)
            throw new Error(
              `migration ${m.path} breaks ${broken.length} foreign key(s); nothing was applied`,
            );
          record.run(randomUUID(), migrationChecksum(script), sqlNow(), m.path, startedAt);
          return true;
        })
        .immediate();
      if (ran) applied.push(m.path);
    }
    return { applied };
  } finally {
    db.close();
  }
}

/** The timestamp format the schema engine writes into `_prisma_migrations`. */
function sqlNow(): string {
  return new Date().toISOString().replace("Z", "+00:00");
}

/**
 * `prisma migrate dev --name <name>` on the wasm engine: applies pending migrations, diffs the schema
 * against them (through an in-memory shadow database) and writes `<timestamp>_<name>/migration.sql`,
 * then applies it. The CLI's order is kept: devDiagnostic → applyMigrations → evaluateDataLoss →
 * createMigration → write files → applyMigrations.
 */
export async function migrateDev(databaseUrl: string, options: MigrateDevOptions): Promise<MigrateDevResult> {
  const migrationsDir = path.resolve(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const schemaPath = path.resolve(options.schemaPath ?? DEFAULT_SCHEMA_PATH);
  const schemaFile = { path: schemaPath, content: fs.readFileSync(schemaPath, "utf8") };
  const schema = { files: [schemaFile] };
  ensureDbFolder(databaseUrl);
  fs.mkdirSync(migrationsDir, { recursive: true });

  return withEngine(databaseUrl, [[schemaFile.path, schemaFile.content]], options.log, async (engine) => {
    await ensureMigrationsTable(engine, migrationsDir);

    const diagnostic = await engine.devDiagnostic({
      migrationsList: readMigrations(migrationsDir),
      filters: NO_FILTER,
    });
    if (diagnostic.action.tag === "reset") {
      throw new Error(
        `The database needs a reset before a new migration can be created: ${diagnostic.action.reason}\n` +
          "Delete the development database file (all its data is lost) and run again.",
      );
    }

    const before = await engine.applyMigrations({
      migrationsList: readMigrations(migrationsDir),
      filters: NO_FILTER,
    });

    const loss = await engine.evaluateDataLoss({
      migrationsList: readMigrations(migrationsDir),
      schema,
      filters: NO_FILTER,
    });
    if (loss.unexecutableSteps.length > 0) {
      throw new Error(
        "The migration cannot be executed on this database:\n" +
          loss.unexecutableSteps.map((s) => `  • ${s.message}`).join("\n"),
      );
    }
    const warnings = loss.warnings.map((w) => w.message);
    if (warnings.length > 0 && !options.acceptDataLoss) {
      throw new Error(
        "The migration would lose data:\n" +
          warnings.map((w) => `  • ${w}`).join("\n") +
          "\nRerun with --accept-data-loss to create it anyway.",
      );
    }
    if (loss.migrationSteps === 0 && !options.createOnly) {
      return { appliedBefore: before.appliedMigrationNames, created: null, applied: [], warnings };
    }

    const list = readMigrations(migrationsDir);
    const created = await engine.createMigration({
      draft: options.createOnly ?? false,
      migrationName: sanitizeName(options.name),
      migrationsList: list,
      schema,
      filters: NO_FILTER,
    });
    if (created.migrationScript === null) {
      return { appliedBefore: before.appliedMigrationNames, created: null, applied: [], warnings };
    }
    const dir = path.join(migrationsDir, created.generatedMigrationName);
    if (fs.existsSync(dir)) throw new Error(`The migration directory already exists at ${dir}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `migration.${created.extension}`), created.migrationScript, "utf8");
    writeLockfile(migrationsDir, created.connectorType);

    if (options.createOnly) {
      return {
        appliedBefore: before.appliedMigrationNames,
        created: created.generatedMigrationName,
        applied: [],
        warnings,
      };
    }
    const after = await engine.applyMigrations({
      migrationsList: readMigrations(migrationsDir),
      filters: NO_FILTER,
    });
    return {
      appliedBefore: before.appliedMigrationNames,
      created: created.generatedMigrationName,
      applied: after.appliedMigrationNames,
      warnings,
    };
  });
}

/**
 * `prisma migrate resolve`: after fixing a database by hand, mark a failed migration as rolled back
 * (deploy will run it again) or as applied (deploy will skip it).
 */
export async function migrateResolve(
  databaseUrl: string,
  action: { rolledBack: string } | { applied: string },
  options: MigrateOptions = {},
): Promise<void> {
  const migrationsDir = path.resolve(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  await withEngine(databaseUrl, undefined, options.log, async (engine) => {
    await ensureMigrationsTable(engine, migrationsDir);
    if ("rolledBack" in action) {
      await engine.markMigrationRolledBack({ migrationName: action.rolledBack });
    } else {
      await engine.markMigrationApplied({
        migrationName: action.applied,
        migrationsList: readMigrations(migrationsDir),
      });
    }
  });
}

/** Reads the migrations folder the way the Prisma CLI does (sorted by folder name). */
export function readMigrations(migrationsDir: string): MigrationList {
  const lockPath = path.join(migrationsDir, LOCKFILE);
  const lockfile = {
    path: LOCKFILE,
    content: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, "utf8") : null,
  };
  const entries = fs.existsSync(migrationsDir) ? fs.readdirSync(migrationsDir, { withFileTypes: true }) : [];
  const migrationDirectories = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b))
    .map((name) => {
      const file = path.join(migrationsDir, name, "migration.sql");
      let content: { tag: "ok"; value: string } | { tag: "error"; value: string };
      try {
        content = { tag: "ok", value: fs.readFileSync(file, "utf8") };
      } catch (e) {
        content = { tag: "error", value: (e as Error).message };
      }
      return { path: name, migrationFile: { path: "migration.sql", content } };
    });
  return { baseDir: migrationsDir, lockfile, shadowDbInitScript: "", migrationDirectories };
}

// ---------------------------------------------------------------------------------------------------

/**
 * Creates `_prisma_migrations` when missing, by applying an empty migration list: every other engine
 * command fails on a fresh database with P1014. Not done unconditionally, since applyMigrations also
 * refuses to run at all while a failed migration is recorded (which `resolve` must be able to fix).
 */
async function ensureMigrationsTable(engine: SchemaEngine, migrationsDir: string): Promise<void> {
  const empty: MigrationList = {
    baseDir: migrationsDir,
    lockfile: { path: LOCKFILE, content: null },
    shadowDbInitScript: "",
    migrationDirectories: [],
  };
  try {
    const { hasMigrationsTable } = await engine.diagnoseMigrationHistory({
      migrationsList: empty,
      optInToShadowDatabase: false,
      filters: NO_FILTER,
    });
    if (hasMigrationsTable) return;
  } catch (e) {
    if ((e as { code?: unknown } | null)?.code !== "P1014") throw e;
  }
  await engine.applyMigrations({ migrationsList: empty, filters: NO_FILTER });
}

function writeLockfile(migrationsDir: string, provider: string): void {
  const text =
    "# Please do not edit this file manually\n" +
    "# It should be added in your version-control system (e.g., Git)\n" +
    `provider = "${provider}"\n`;
  fs.writeFileSync(path.join(migrationsDir, LOCKFILE), text, "utf8");
}

/** Same rule as the Prisma CLI: lower-case snake_case, at most 200 characters. */
function sanitizeName(name: string): string {
  return name
    .trim()
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .toLowerCase()
    .slice(0, 200);
}

function ensureDbFolder(databaseUrl: string): void {
  const file = sqliteFilePath(databaseUrl);
  if (file) fs.mkdirSync(path.dirname(file), { recursive: true });
}

/** `file:./data/x.db?mode=…` → `./data/x.db`; null for in-memory databases. */
export function sqliteFilePath(databaseUrl: string): string | null {
  const file = databaseUrl.replace(/^file:/, "").replace(/\?.*$/, "");
  if (file === "" || file === ":memory:") return null;
  return file;
}

let runtimePromise: Promise<typeof engineRuntime> | undefined;

/**
 * Node 20 cannot `import` a .wasm file (the package's entry point does), so the module is compiled and
 * instantiated by hand against the package's JS glue. The glue keeps one module-wide instance: load
 * it once per process and reuse it for every engine.
 */
function loadRuntime(): Promise<typeof engineRuntime> {
  runtimePromise ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await fs.promises.readFile(gluePath.replace(/\.js$/, ".wasm"));
    const module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, {
      "./schema_engine_bg.js": engineRuntime as unknown as WebAssembly.ModuleImports,
    });
    engineRuntime.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return engineRuntime;
  })();
  return runtimePromise;
}

/** Engine calls are serialised per process: the SQLite file is not meant to be migrated concurrently. */
let queue: Promise<unknown> = Promise.resolve();

async function withEngine<T>(
  databaseUrl: string,
  datamodels: [string, string][] | undefined,
  log: ((line: string) => void) | undefined,
  fn: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const run = async () => {
    const runtime = await loadRuntime();
    const factory = new ScriptAwareFactory(new PrismaBetterSqlite3({ url: databaseUrl }));
    const engine = await runtime.SchemaEngine.new(
      { datamodels },
      (line: unknown) => log?.(typeof line === "string" ? line : JSON.stringify(line)),
      bindMigrationAwareSqlAdapterFactory(factory),
    );
    try {
      return await fn(engine);
    } catch (e) {
      throw toError(e);
    } finally {
      engine.free();
      await factory.disposeAll();
    }
  };
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}

/**
 * Engine errors arrive as Errors, plain objects ({ message, error_code, meta }) or strings: make them
 * Errors. SQLITE_BUSY reaches the engine as the adapter's `SocketTimeout`, a kind the wasm engine
 * cannot decode: say what it means instead.
 */
function toError(e: unknown): Error {
  let err: Error;
  if (e instanceof Error) err = e;
  else if (typeof e === "string") err = new Error(e);
  else if (e && typeof e === "object") {
    const o = e as { message?: unknown; error_code?: unknown; errorCode?: unknown };
    const code = o.error_code ?? o.errorCode;
    const msg = typeof o.message === "string" ? o.message : JSON.stringify(e);
    err = new Error(code ? `${String(code)}: ${msg}` : msg, { cause: e });
  } else err = new Error(String(e));
  if (/SocketTimeout|SQLITE_BUSY|database is locked/.test(err.message)) {
    return new Error(
      "The database is locked by another connection (SQLITE_BUSY). Migrations take an exclusive lock: " +
        "run them before opening the Prisma client, and stop other processes (a running server) using " +
        "the database.",
      { cause: err },
    );
  }
  return err;
}

/**
 * better-sqlite3's `prepare()` rejects multi-statement SQL, but the engine sends whole migration
 * scripts through `executeRaw`/`queryRaw`. Parameterless multi-statement SQL goes to `executeScript`
 * (`Database.exec`) instead. Also remembers every connection so they can all be closed afterwards.
 */
class ScriptAwareFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider: "sqlite";
  readonly adapterName: string;
  readonly #inner: SqlMigrationAwareDriverAdapterFactory;
  readonly #open = new Set<SqlDriverAdapter>();

  constructor(inner: SqlMigrationAwareDriverAdapterFactory) {
    this.#inner = inner;
    this.provider = "sqlite";
    this.adapterName = inner.adapterName;
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.#wrap(await this.#inner.connect());
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    return this.#wrap(await this.#inner.connectToShadowDb());
  }

  async disposeAll(): Promise<void> {
    for (const adapter of this.#open) {
      try {
        await adapter.dispose();
      } catch {
        // already closed by the engine
      }
    }
    this.#open.clear();
  }

  #wrap(adapter: SqlDriverAdapter): SqlDriverAdapter {
    this.#open.add(adapter);
    const executeRaw = adapter.executeRaw.bind(adapter);
    const queryRaw = adapter.queryRaw.bind(adapter);
    const dispose = adapter.dispose.bind(adapter);
    const asScript = async (query: SqlQuery, error: unknown): Promise<void> => {
      if (query.args.length === 0 && isMultiStatementError(error)) {
        await adapter.executeScript(query.sql);
        return;
      }
      throw error;
    };
    adapter.executeRaw = async (query) => {
      try {
        return await executeRaw(query);
      } catch (e) {
        await asScript(query, e);
        return 0;
      }
    };
    adapter.queryRaw = async (query) => {
      try {
        return await queryRaw(query);
      } catch (e) {
        await asScript(query, e);
        return { columnNames: [], columnTypes: [], rows: [] };
      }
    };
    adapter.dispose = async () => {
      this.#open.delete(adapter);
      await dispose();
    };
    return adapter;
  }
}

function isMultiStatementError(e: unknown): boolean {
  return e instanceof Error && /more than one statement/i.test(e.message);
}
