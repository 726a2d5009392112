import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { PGlite } from '@electric-sql/pglite'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import { PrismaClient } from '../generated/prisma/client.ts'
import type { Sql, Statement } from './sql.ts'
import type { SqlRunner } from './sql-runner.ts'
import type { JobStore } from '../services/job-engine.ts'

/** An opened database: the Prisma client, a raw runner for migrations, and how to close both. */
export interface Database {
  kind: 'postgres' | 'pglite'
  prisma: PrismaClient
  /** Hot reads, on the same connections as Prisma. */
  sql: Sql
  /** Migrations: scripts and a session of their own. */
  runner: SqlRunner
  /** Where the job engine keeps its jobs: the same database. */
  jobStore: JobStore
  /**
   * Calls `handler` with the payload of every NOTIFY on `channel`, from any server on this
   * database; `onLost` when notifications may have been missed (the connection dropped).
   */
  listen(channel: string, handler: (payload: string) => void, onLost: () => void): Promise<void>
  /** One cheap round trip (SELECT 1): whether the database answers now. */
  probe(): Promise<void>
  close(): Promise<void>
}

/**
 * How long reaching the database may take (DATABASE_CONNECT_TIMEOUT_MS: a new connection, or a
 * free one from the pool) and one query (DATABASE_QUERY_TIMEOUT_MS): a database that silently
 * drops packets fails requests with 503 within these instead of holding them forever.
 */
export interface DatabaseTimeouts { connectMs: number, queryMs: number }

/** PostgreSQL through node-postgres: one pool serves Prisma, a separate client runs migrations. */
async function openPostgres (url: string, timeouts: DatabaseTimeouts, onIdleError: (error: Error) => void): Promise<Database> {
  // keepAlive: a connection whose peer vanished is noticed by the kernel, not only by a timeout.
  const connection = { connectionString: url, connectionTimeoutMillis: timeouts.connectMs, keepAlive: true }
  const pool = new pg.Pool({ ...connection, max: 10, query_timeout: timeouts.queryMs })
  // An idle connection the server drops (restart, failover) must not take the process down;
  // the pool replaces it on the next query.
  pool.on('error', onIdleError)
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
  // Migrations may run long: the connect is bounded, their statements are not.
  const client = new pg.Client(connection)
  client.on('error', onIdleError)
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
  // LISTEN needs a session of its own, held open; it is opened again when it drops.
  let listener: pg.Client | null = null
  let closing = false
  const listen = async (channel: string, handler: (payload: string) => void, onLost: () => void): Promise<void> => {
    const client = new pg.Client(connection)
    client.on('notification', (message) => { if (message.channel === channel) handler(message.payload ?? '') })
    client.on('error', (error) => {
      onIdleError(error)
      onLost()
      if (closing) return
      const retry = (): void => { listen(channel, handler, onLost).catch(() => setTimeout(retry, 1000).unref()) }
      setTimeout(retry, 1000).unref()
    })
    await client.connect()
    await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`)
    listener = client
  }
  return {
    kind: 'postgres',
    prisma,
    sql,
    runner,
    // pg-boss gets a small pool of its own, so jobs never wait for a request's connection.
    jobStore: { connectionString: url, connectionTimeoutMillis: timeouts.connectMs, query_timeout: timeouts.queryMs },
    listen,
    probe: async () => { await pool.query('SELECT 1') },
    close: async () => {
      closing = true
      await listener?.end().catch(() => {})
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
    // pg-boss's migrations send several statements in one string, which only exec() takes.
    jobStore: {
      db: {
        executeSql: async (text: string, values?: unknown[]) => values === undefined || values.length === 0
          ? { rows: (await lite.exec(text)).at(-1)?.rows ?? [] }
          : { rows: (await lite.query(text, values)).rows }
      }
    },
    // One process holds the embedded database: PGlite delivers its own NOTIFYs in process.
    listen: async (channel, handler) => { await lite.listen(channel, handler) },
    probe: async () => { await lite.query('SELECT 1') },
    close: async () => {
      await prisma.$disconnect()
      await lite.close()
    }
  }
}

export const DEFAULT_TIMEOUTS: DatabaseTimeouts = { connectMs: 5000, queryMs: 30_000 }

export const openDatabase = (options: { databaseUrl: string | undefined, dataDir: string, timeouts?: DatabaseTimeouts }, onIdleError: (error: Error) => void = () => {}): Promise<Database> =>
  options.databaseUrl !== undefined ? openPostgres(options.databaseUrl, options.timeouts ?? DEFAULT_TIMEOUTS, onIdleError) : openPglite(options.dataDir)
