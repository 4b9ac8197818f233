/**
 * Child process for the migration kill loop (tests/integration/faults/migrate-kill.test.ts): applies
 * the migrations of argv[3] to argv[2], printing "applying <name>" before each (written synchronously,
 * so the parent knows a migration has begun) and "done" at the end.
 */
import fs from "node:fs";
import { migrateDeploy } from "../../../server/db/migrator";

const [databaseUrl, migrationsDir] = process.argv.slice(2);
await migrateDeploy(databaseUrl, { migrationsDir, onApply: (name) => fs.writeSync(1, `applying ${name}\n`) });
fs.writeSync(1, "done\n");
