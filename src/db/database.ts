import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { PGlite } from '@electric-sql/pglite'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import { PrismaClient } from '../generated/prisma/client.ts'
import type { Sql, Statement } from './sql.ts'
import type { SqlRunner } from './sql-runner.ts'

/** An opened database: the Prisma client, a raw runner for migrations, and how to close both. */
export interface Database {
  kind: 'postgres' | 'pglite'
  prisma: PrismaClient
  /** Hot reads, on the same connections as Prisma. */
  sql: Sql
  /** Migrations: scripts and a session of their own. */
  runner: SqlRunner
  close(): Promise<void>
}

/** PostgreSQL through node-postgres: one pool serves Prisma, a separate client runs migrations. */
async function openPostgres (url: string, onIdleError: (error: Error) => void): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle connection the server drops (restart, failover) must not take the process down;
  // the pool replaces it on the next query.
  pool.on('error', onIdleError)
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const runner: SqlRunner = {
    exec: async (sql) => { await client.query(sql) },
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    close: async () => { await client.end() }
  }
  const sql: Sql = {
    query: async <T>(statement: Statement, values: unknown[]) =>
      (await pool.query({ name: statement.name, text: statement.text, values })).rows as T[]
  }
  return {
    kind: 'postgres',
    prisma,
    sql,
    runner,
    close: async () => {
      await prisma.$disconnect()
      await runner.close()
      await pool.end()
    }
  }
}

/** The embedded default: PostgreSQL compiled to WebAssembly, data kept in a folder. */
async function openPglite (dataDir: string): Promise<Database> {
  await mkdir(dataDir, { recursive: true })
  const lite = await PGlite.create(join(dataDir, 'pglite'))
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) })
  const runner: SqlRunner = {
    exec: async (sql) => { await lite.exec(sql) },
    query: async <T>(sql: string, params?: unknown[]) => (await lite.query<T>(sql, params)).rows,
    close: async () => {}
  }
  const sql: Sql = {
    query: async <T>(statement: Statement, values: unknown[]) => (await lite.query<T>(statement.text, values)).rows
  }
  return {
    kind: 'pglite',
    prisma,
    sql,
    runner,
    close: async () => {
      await prisma.$disconnect()
      await lite.close()
    }
  }
}

export const openDatabase = (options: { databaseUrl: string | undefined, dataDir: string }, onIdleError: (error: Error) => void = () => {}): Promise<Database> =>
  options.databaseUrl !== undefined ? openPostgres(options.databaseUrl, onIdleError) : openPglite(options.dataDir)
