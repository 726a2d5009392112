import t, { type Test } from 'tap'
import pg from 'pg'
import { createTestDatabase } from './helper.ts'
import { call, startServer, until, type StartedServer } from './started-server.ts'

/**
 * Several real server processes on one PostgreSQL database, as behind a load balancer: background
 * work runs once across them, survives the death of the server doing it, and revocations and rate
 * limits hold across them.
 */

const POLL_MS = 200
const LEASE_MS = 1000
const MAINTENANCE_MS = 1000
const JOB_POLL_MS = 500
const CLUSTER_ENV = {
  POLL_INTERVAL_MS: String(POLL_MS),
  WATCH_LEASE_MS: String(LEASE_MS),
  JOB_MAINTENANCE_INTERVAL_MS: String(MAINTENANCE_MS),
  JOB_POLL_INTERVAL_MS: String(JOB_POLL_MS),
  SYNC_INTERVAL_MS: '0'
}

interface Cluster { servers: StartedServer[], db: pg.Client, url: string }

async function startCluster (t: Test, count: number, env: Record<string, string> = {}): Promise<Cluster> {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  // Started at once on the empty database: first-start work must be safe to race.
  const servers = await Promise.all(Array.from({ length: count }, () => startServer(t, { ...CLUSTER_ENV, ...env, DATABASE_URL: database.url })))
  t.teardown(() => Promise.all(servers.map((server) => server.stop())))
  const db = new pg.Client({ connectionString: database.url })
  await db.connect()
  t.teardown(() => db.end())
  return { servers, db, url: database.url }
}

const stateOf = async (db: pg.Client, id: number): Promise<string> => (await db.query('SELECT state::text AS state FROM machines WHERE id = $1', [id])).rows[0].state
const listCalls = async (db: pg.Client, backend: string): Promise<number> =>
  Number((await db.query("SELECT count FROM sandbox_api_calls WHERE account = $1 AND operation = 'list'", [backend])).rows[0]?.count ?? 0)

async function setUp (cluster: Cluster, settings: Record<string, unknown>) {
  const [first] = cluster.servers
  const backend = await call(first!, 'POST', '/backends', { title: 'shared', provider: 'sandbox', api_key: 'k', ...settings })
  const key = await call(first!, 'POST', '/keys', { name: 'k' })
  return { backend: backend.body.id as string, key: key.body.id as string }
}

// Thirteen spawned servers over five cases: about 100 s alone, more while another file runs
// beside it (.taprc jobs: 2); the default 120 s per file is too tight a budget for it.
t.setTimeout(300_000)

t.test('the server that accepted a stop dies mid-transition; another records the final state', async (t) => {
  const cluster = await startCluster(t, 3)
  const { backend, key } = await setUp(cluster, { boot_delay_ms: 0, stop_delay_ms: 1500 })
  const created = await call(cluster.servers[0]!, 'POST', `/backends/${backend}/machines`, { name: 'm', key, image: 'debian-12', size: 'sbx.small', location: 'sbx-eu-1' })
  t.equal(created.status, 201)
  const id = created.body.machine_api_id as number
  await until('running', async () => await stateOf(cluster.db, id) === 'running', 10_000)

  // Actions round-robin; the one that accepts the stop is killed while the machine is stopping.
  const victim = cluster.servers[1]!
  const stop = await call(victim, 'POST', `/api/machine/${id}/control`, { action: 'stop' })
  t.equal(stop.status, 204)
  await victim.kill()
  const killedAt = Date.now()
  t.equal(await stateOf(cluster.db, id), 'stopping')

  // The bound docs/operations.md states: the stop's own delay, or a dead server's job expiring (twice
  // the lease) and being taken up (maintenance, a worker's poll, one poll interval), plus slack.
  const bound = Math.max(1500, 2 * LEASE_MS + MAINTENANCE_MS + JOB_POLL_MS + POLL_MS) + 3000
  await until('stopped, recorded by a surviving server', async () => await stateOf(cluster.db, id) === 'stopped', bound)
  t.pass(`recorded ${Date.now() - killedAt} ms after the kill (bound ${bound} ms)`)
  const history = (await cluster.db.query('SELECT from_state::text AS f, to_state::text AS t FROM transitions WHERE machine_id = $1 ORDER BY id', [id])).rows
  t.same(history.slice(-2), [{ f: 'running', t: 'stopping' }, { f: 'stopping', t: 'stopped' }], 'one transition each, nothing twice')
  for (const server of [cluster.servers[0]!, cluster.servers[2]!]) {
    t.equal((await call(server, 'GET', `/api/machine/${id}`)).body.state, 'inactive', 'every surviving server answers the final state')
  }
})

t.test('200 unsettled machines on one backend: at most one list per poll interval across all servers', async (t) => {
  const cluster = await startCluster(t, 3)
  // Ten minutes: they stay pending however slowly a loaded machine makes 200 (over a minute was seen).
  const { backend, key } = await setUp(cluster, { boot_delay_ms: 600_000, stop_delay_ms: 0 })
  for (let batch = 0; batch < 20; batch++) {
    await Promise.all(Array.from({ length: 10 }, (_, i) => call(cluster.servers[(batch + i) % 3]!, 'POST', `/backends/${backend}/machines`, {
      name: `m${batch * 10 + i}`, key, image: 'debian-12', size: 'sbx.small', location: 'sbx-eu-1'
    })))
  }
  t.equal(Number((await cluster.db.query("SELECT count(*) FROM machines WHERE state = 'pending'")).rows[0].count), 200, '200 machines pending')
  const lastWrite = async () => String((await cluster.db.query('SELECT max(updated_at) AS at FROM machines')).rows[0].at)
  // The creates' own writes settle first (each machine's first listing records what the cloud
  // says of it): 500 ms was not always enough with three test files on two cores.
  let writtenBefore = await lastWrite()
  await until('the creates\' writes settled', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const now = await lastWrite()
    const settled = now === writtenBefore
    writtenBefore = now
    return settled
  }, 20_000)
  const before = await listCalls(cluster.db, backend)
  const started = Date.now()
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const calls = await listCalls(cluster.db, backend) - before
  t.equal(await lastWrite(), writtenBefore, 'nothing changed at the provider, nothing was written')
  const intervals = (Date.now() - started) / POLL_MS
  t.ok(calls > 0, `the backend is being watched (${calls} list calls)`)
  t.ok(calls <= Math.ceil(intervals) + 1, `${calls} list calls in ${intervals.toFixed(1)} poll intervals, across 3 servers`)
})

t.test('the periodic sync runs once per interval across the servers, not once per server', async (t) => {
  const cluster = await startCluster(t, 3, { SYNC_INTERVAL_MS: '1000' })
  const { backend } = await setUp(cluster, { boot_delay_ms: 0 })
  await until('a first sync', async () => await listCalls(cluster.db, backend) > 0, 10_000)
  const before = await listCalls(cluster.db, backend)
  await new Promise((resolve) => setTimeout(resolve, 4000))
  const calls = await listCalls(cluster.db, backend) - before
  t.ok(calls >= 2 && calls <= 5, `${calls} syncs in 4 s with a 1 s interval on 3 servers (3 servers syncing alone would make about 12)`)
})

t.test('a token revoked through one server is refused by another on the next request', async (t) => {
  const cluster = await startCluster(t, 2, { AUTH_CACHE_MS: '60000' })
  const [a, b] = cluster.servers as [StartedServer, StartedServer]
  const issued = await call(a, 'POST', '/api/tokens', { name: 'short-lived' })
  t.equal(issued.status, 201)
  const token = issued.body.token as string
  t.equal((await call(b, 'GET', '/api/tokens', undefined, token)).status, 200, 'B knows the token (and caches it for a minute)')
  t.equal((await call(a, 'DELETE', `/api/tokens/${issued.body.id as string}`)).status, 204)
  // The NOTIFY travels through PostgreSQL; "the next request" is the next one after the revocation commits.
  await until('B refuses the revoked token', async () => (await call(b, 'GET', '/api/tokens', undefined, token)).status === 401, 2000)
  t.pass('B refused it without waiting for its cache')
})

t.test('with REDIS_URL, three servers together allow the configured requests per token, not three times as many', async (t) => {
  const cluster = await startCluster(t, 3, { REDIS_URL: 'redis://127.0.0.1:6379/0', RATE_LIMIT_MAX: '30', RATE_LIMIT_WINDOW_MS: '60000' })
  const issued = await call(cluster.servers[0]!, 'POST', '/api/tokens', { name: 'limited' })
  const token = issued.body.token as string
  const statuses: number[] = []
  for (let i = 0; i < 60; i++) statuses.push((await call(cluster.servers[i % 3]!, 'GET', '/api/tokens', undefined, token)).status)
  t.equal(statuses.filter((status) => status === 200).length, 30, '30 allowed across the three servers')
  t.equal(statuses.filter((status) => status === 429).length, 30, 'the rest refused with 429')
})
