// `prisma generate` never runs the schema engine, but the CLI insists on locating its native binary,
// which cannot be downloaded offline. Any existing executable satisfies it. Migrations do not go
// through the Prisma CLI at all: see scripts/migrate.ts.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= "/bin/false";

import { defineConfig } from "prisma/config";
import { DEFAULT_DATABASE_URL } from "./server/env";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL },
});
