import t from 'tap'
import { createHash } from 'node:crypto'
import { cp, mkdtemp, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { migrate, MIGRATIONS_DIR, readMigrations } from '../../src/db/migrate.ts'
import type { SqlRunner } from '../../src/db/sql-runner.ts'
import { createTestDatabase } from '../helper.ts'

async function runnerFor (url: string): Promise<SqlRunner> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const runner: SqlRunner = {
    exec: async (sql) => { await client.query(sql) },
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    close: () => client.end()
  }
  return runner
}

t.test('migrations apply once and are recorded the way Prisma records them', async (t) => {
  const database = await createTestDatabase()
  const db = await runnerFor(database.url)
  t.teardown(async () => { await db.close(); await database.drop() })

  const migrations = await readMigrations()
  t.ok(migrations.length > 0)
  t.same(await migrate(db), migrations.map((m) => m.name))
  t.same(await migrate(db), [], 'nothing to do the second time')

  const rows = await db.query<{ migration_name: string, checksum: string, finished_at: Date, applied_steps_count: number }>(
    'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name')
  t.equal(rows.length, migrations.length)
  for (const [i, migration] of migrations.entries()) {
    const { readFile } = await import('node:fs/promises')
    const sql = await readFile(join(MIGRATIONS_DIR, migration.name, 'migration.sql'))
    t.match(rows[i], { migration_name: migration.name, checksum: createHash('sha256').update(sql).digest('hex'), finished_at: Date, applied_steps_count: 1 })
  }
})

t.test('an edited migration and a failed one are refused; a failing one rolls back whole', async (t) => {
  const database = await createTestDatabase()
  const db = await runnerFor(database.url)
  t.teardown(async () => { await db.close(); await database.drop() })
  const dir = await mkdtemp(join(tmpdir(), 'stratus-migrations-'))
  await cp(MIGRATIONS_DIR, dir, { recursive: true })
  await migrate(db, dir)

  const [first] = await readMigrations(dir)
  await appendFile(join(dir, first!.name, 'migration.sql'), '\n-- edited\n')
  await t.rejects(migrate(db, dir), /was edited after it was applied/)

  const fresh = await createTestDatabase()
  const other = await runnerFor(fresh.url)
  t.teardown(async () => { await other.close(); await fresh.drop() })
  const broken = await mkdtemp(join(tmpdir(), 'stratus-migrations-'))
  await cp(MIGRATIONS_DIR, broken, { recursive: true })
  const { mkdir, writeFile } = await import('node:fs/promises')
  await mkdir(join(broken, '29990101000000_broken'))
  await writeFile(join(broken, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;')
  await t.rejects(migrate(other, broken), /29990101000000_broken failed/)
  const [check] = await other.query<{ exists: boolean }>("SELECT to_regclass('half_done') IS NOT NULL AS exists")
  t.equal(check?.exists, false, 'the failed migration left nothing behind')
  const names = (await other.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations"')).map((r) => r.migration_name)
  t.notOk(names.includes('29990101000000_broken'))
})
