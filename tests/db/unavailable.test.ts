import t from 'tap'
import pg from 'pg'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../../src/generated/prisma/client.ts'
import { isDatabaseUnavailable } from '../../src/db/unavailable.ts'
import { DatabaseAvailability } from '../../src/db/availability.ts'
import { createTestDatabase } from '../helper.ts'
import { migrate } from '../../src/db/migrate.ts'
import { ProviderError } from '../../src/providers/provider-error.ts'
import { TcpProxy } from './tcp-proxy.ts'

/**
 * The classifier is read against the errors each layer really raises, made here by a real
 * PostgreSQL behind a proxy that refuses, drops and silences connections, and against errors
 * that are the server's or the request's fault, which must stay 500 or 4xx.
 */
t.test('errors of an unreachable database are told from faults', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const direct = new pg.Client({ connectionString: database.url })
  await direct.connect()
  t.teardown(() => direct.end())
  await migrate({ exec: async (sql) => { await direct.query(sql) }, query: async (sql, params) => (await direct.query(sql, params)).rows, close: async () => {} })
  const proxy = await new TcpProxy({ host: '127.0.0.1', port: Number(new URL(database.url).port || 5432) }).start()
  t.teardown(() => proxy.close())
  const url = new URL(database.url)
  url.port = String(proxy.port)
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2, connectionTimeoutMillis: 500, query_timeout: 700 })
  pool.on('error', () => {})
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) })
  t.teardown(async () => { await prisma.$disconnect(); await pool.end().catch(() => {}) })
  const failure = async (work: () => Promise<unknown>): Promise<unknown> => work().then(() => { throw new Error('expected a failure') }, (error: unknown) => error)

  // Faults, which must not pass for an outage.
  await prisma.user.create({ data: { id: 'u-alice', name: 'alice' } })
  t.notOk(isDatabaseUnavailable(await failure(() => prisma.user.create({ data: { id: 'u-alice', name: 'alice' } }))), 'a unique violation (P2002)')
  t.notOk(isDatabaseUnavailable(await failure(() => prisma.$queryRawUnsafe('SELEC 1'))), 'a syntax error')
  t.notOk(isDatabaseUnavailable(await failure(() => pool.query('SELECT 1/0'))), 'a division by zero')
  t.notOk(isDatabaseUnavailable(new TypeError('x is undefined')), 'a plain bug')
  t.notOk(isDatabaseUnavailable(null), 'nothing')
  const cloudDown = new ProviderError('unavailable', 'digitalocean: ECONNREFUSED', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) })
  t.notOk(isDatabaseUnavailable(cloudDown), 'a cloud that cannot be reached (its socket error beneath) is the cloud\'s failure')

  await proxy.cut()
  t.ok(isDatabaseUnavailable(await failure(() => prisma.user.findMany())), 'Prisma, connection refused')
  t.ok(isDatabaseUnavailable(await failure(() => prisma.$queryRaw`SELECT 1`)), 'Prisma raw, connection refused')
  t.ok(isDatabaseUnavailable(await failure(() => prisma.$transaction(async (tx) => tx.user.findMany()))), 'Prisma transaction, connection refused')
  t.ok(isDatabaseUnavailable(await failure(() => pool.query('SELECT 1'))), 'node-postgres, connection refused')
  await proxy.restore()

  const inFlight = failure(() => prisma.$queryRaw`SELECT pg_sleep(2)`)
  setTimeout(() => { void proxy.cut() }, 200)
  t.ok(isDatabaseUnavailable(await inFlight), 'a connection dropped mid-query')
  await proxy.restore()

  await prisma.$queryRaw`SELECT 1`
  await proxy.silence()
  t.ok(isDatabaseUnavailable(await failure(() => prisma.$queryRaw`SELECT 1`)), 'a silent network: the query timeout')
  t.ok(isDatabaseUnavailable(await failure(() => prisma.user.findMany())), 'a silent network: the connect timeout')
  await proxy.restore()

  // An administrator's shutdown of the session (57P01), as in a restart.
  const inSession = failure(() => prisma.$queryRaw`SELECT pg_sleep(2)`)
  await new Promise((resolve) => setTimeout(resolve, 200))
  await direct.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%pg_sleep%'")
  t.ok(isDatabaseUnavailable(await inSession), 'a session the server terminated (57P01)')
})

t.test('an outage is reported once, probed with a bounded backoff, and its end wakes the waiters', async (t) => {
  const lines: string[] = []
  let answers = false
  let probes = 0
  const availability = new DatabaseAvailability({
    probe: async () => { probes++; if (!answers) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) },
    log: { warn: (_d, message) => lines.push(`warn ${message}`), info: (_d, message) => lines.push(`info ${message}`) },
    firstDelayMs: 10,
    maxDelayMs: 40
  })
  t.teardown(() => availability.close())
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
  t.notOk(availability.noteFailure(new Error('a bug')), 'a fault is not an outage')
  t.ok(availability.up)
  for (let i = 0; i < 100; i++) t.equal(availability.noteFailure(refused), true)
  t.notOk(availability.up)
  let woken = false
  const waiting = availability.whenUp().then(() => { woken = true })
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.notOk(woken, 'waiters wait while it is away')
  t.ok(probes >= 5 && probes <= 12, `probes back off to their bound (${probes} in 300 ms at 10 ms doubling to 40 ms)`)
  answers = true
  await waiting
  t.ok(availability.up)
  t.same(lines.map((line) => line.split(':')[0]), ['warn database unreachable', 'info database reachable again'], 'a hundred failures are one warning, and one line when it is back')
})

t.test('the embedded database: a closed PGlite is unavailable, through Prisma too', async (t) => {
  const { PGlite } = await import('@electric-sql/pglite')
  const { PrismaPGlite } = await import('pglite-prisma-adapter')
  const lite = await PGlite.create()
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) })
  await prisma.$queryRaw`SELECT 1`
  await lite.close()
  const direct = await lite.query('SELECT 1').then(() => null, (error: unknown) => error)
  t.ok(isDatabaseUnavailable(direct), 'PGlite itself')
  const through = await prisma.$queryRaw`SELECT 1`.then(() => null, (error: unknown) => error)
  t.ok(isDatabaseUnavailable(through), `through Prisma (${String((through as Error)?.message).trim().split('\n').at(-1)})`)
  t.notOk(isDatabaseUnavailable(await (async () => { const other = await PGlite.create(); return other.query('SELEC 1').then(() => null, (e: unknown) => e) })()), 'a syntax error on PGlite is a fault')
})
