import { readdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'prisma/config'

// Prisma 7's CLI downloads its native schema engine before every command, even those that never
// run it (generate, validate, format). Where the binary host is unreachable (here and on CI),
// pointing the variable at any existing file lets those commands work. Where the real engine was
// downloaded it is used as usual. Migrations are applied by src/db/migrate.ts either way.
const enginesDir = dirname(dirname(createRequire(import.meta.url).resolve('@prisma/engines')))
const hasRealEngine = readdirSync(enginesDir).some((file) => file.startsWith('schema-engine'))
if (!hasRealEngine) process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url)

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/stratus' }
})
