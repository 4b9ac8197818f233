/**
 * Database migrations without Prisma's native schema engine (see server/db/migrator.ts).
 *
 *   npx tsx scripts/migrate.ts deploy                   apply pending migrations to DATABASE_URL
 *   npx tsx scripts/migrate.ts dev --name <name>        create a migration from the schema diff, apply it
 *       [--create-only] [--accept-data-loss]
 *   npx tsx scripts/migrate.ts resolve --rolled-back <migration> | --applied <migration>
 *       after fixing a failed migration by hand (like `prisma migrate resolve`)
 *
 * DATABASE_URL defaults to file:./data/petalflow.db (relative to the current directory).
 */
import { parseArgs } from "node:util";
import { migrateDeploy, migrateDev, migrateResolve } from "../server/db/migrator";
import { DEFAULT_DATABASE_URL } from "../server/env";

const USAGE = `usage:
  tsx scripts/migrate.ts deploy [--verbose]
  tsx scripts/migrate.ts dev --name <name> [--create-only] [--accept-data-loss] [--verbose]
  tsx scripts/migrate.ts resolve --rolled-back <migration> | --applied <migration>
env: DATABASE_URL (default ${DEFAULT_DATABASE_URL})`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: "string", short: "n" },
      "create-only": { type: "boolean", default: false },
      "accept-data-loss": { type: "boolean", default: false },
      "rolled-back": { type: "string" },
      applied: { type: "string" },
      verbose: { type: "boolean", short: "v", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const log = values.verbose ? (line: string) => console.error(line) : undefined;

  if (command === "deploy") {
    const { applied, warnings } = await migrateDeploy(databaseUrl, { log });
    for (const w of warnings) console.error(`warning: ${w}`);
    if (applied.length === 0) console.log(`${databaseUrl}: no pending migrations`);
    else console.log(`${databaseUrl}: applied ${applied.length} migration(s):\n  ${applied.join("\n  ")}`);
    return 0;
  }
  if (command === "dev") {
    if (!values.name) {
      console.error(`dev needs --name <name>\n${USAGE}`);
      return 2;
    }
    const result = await migrateDev(databaseUrl, {
      name: values.name,
      createOnly: values["create-only"],
      acceptDataLoss: values["accept-data-loss"],
      log,
    });
    if (result.appliedBefore.length > 0) console.log(`applied pending: ${result.appliedBefore.join(", ")}`);
    for (const w of result.warnings) console.warn(`warning: ${w}`);
    if (!result.created) {
      console.log("Already in sync: the schema matches the migrations, no migration created.");
    } else {
      console.log(`created prisma/migrations/${result.created}/migration.sql`);
      if (result.applied.length > 0) console.log(`applied: ${result.applied.join(", ")}`);
      else console.log("not applied (--create-only): edit it, then run deploy");
    }
    return 0;
  }
  if (command === "resolve") {
    const rolledBack = values["rolled-back"];
    const applied = values.applied;
    if ((rolledBack === undefined) === (applied === undefined)) {
      console.error(
        `resolve needs exactly one of --rolled-back <migration> or --applied <migration>\n${USAGE}`,
      );
      return 2;
    }
    await migrateResolve(databaseUrl, rolledBack !== undefined ? { rolledBack } : { applied: applied! }, {
      log,
    });
    console.log(`marked ${rolledBack ?? applied} as ${rolledBack !== undefined ? "rolled back" : "applied"}`);
    return 0;
  }
  console.error(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
