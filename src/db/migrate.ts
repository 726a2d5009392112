import { createHash, randomUUID } from 'node:crypto'
import { readFile, readdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { SqlRunner } from './sql-runner.ts'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url))

// Prisma's own bookkeeping table, created exactly as `prisma migrate deploy` creates it, so the
// two can take turns on one database.
const CREATE_BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`

// The advisory lock key Prisma's schema engine takes for PostgreSQL, so we exclude it too.
const LOCK_KEY = 72707369

interface AppliedRow { migration_name: string, checksum: string, finished_at: Date | null, rolled_back_at: Date | null }

export interface Migration { name: string, sql: string, checksum: string }

export async function readMigrations (dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
  return Promise.all(names.map(async (name) => {
    const sql = await readFile(`${dir}/${name}/migration.sql`, 'utf8')
    return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
  }))
}

/**
 * Applies the pending migrations of prisma/migrations in order, each in its own transaction,
 * and records them in _prisma_migrations the way Prisma does (checksum = sha256 of the file).
 * Refuses to go on when an applied migration was edited or a previous one failed half-way.
 */
export async function migrate (db: SqlRunner, dir = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await readMigrations(dir)
  await db.query('SELECT pg_advisory_lock($1)', [LOCK_KEY])
  try {
    await db.exec(CREATE_BOOKKEEPING)
    const rows = await db.query<AppliedRow>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"')
    const applied = new Map(rows.filter((row) => row.rolled_back_at === null).map((row) => [row.migration_name, row]))
    const done: string[] = []
    for (const migration of migrations) {
      const row = applied.get(migration.name)
      if (row?.finished_at === null) {
        throw new Error(`migration ${migration.name} failed earlier and was not rolled back; repair the database first`)
      }
      if (row !== undefined) {
        if (row.checksum !== migration.checksum) throw new Error(`migration ${migration.name} was edited after it was applied`)
        continue
      }
      await db.exec('BEGIN')
      try {
        await db.exec(migration.sql)
        await db.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), migration.checksum, migration.name]
        )
        await db.exec('COMMIT')
      } catch (error) {
        await db.exec('ROLLBACK')
        throw new Error(`migration ${migration.name} failed: ${(error as Error).message}`, { cause: error })
      }
      done.push(migration.name)
    }
    return done
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY])
  }
}
