import { writeFileSync } from 'node:fs'
import t, { type Test } from 'tap'
import { buildApp, type App } from '../../src/app.ts'
import { addKey, addSandboxBackend, authorize, createMachine, createTestDatabase, eventually, json, TEST_ADMIN_TOKEN, testConfig, waitForState } from '../helper.ts'
import { startServer, type StartedServer } from '../started-server.ts'
import { TcpProxy } from './tcp-proxy.ts'

/**
 * The database goes away under a working server, as an operator meets it: PostgreSQL behind a
 * TCP proxy that is cut (connections dropped, new ones refused), then silenced (connections open,
 * nothing passes), then restored. Every answer meanwhile is 503 database-unavailable with
 * Retry-After in the negotiated format (never a 500, never a hang), nothing is half-written,
 * and the server is ready again by itself.
 */

const CONNECT_MS = 1000
const QUERY_MS = 2000
/** A request may wait for a connection, then for one query on it: no answer may take longer (plus slack for a busy machine). */
const LONGEST_ANSWER_MS = CONNECT_MS + QUERY_MS + 1500

interface Answer { statusCode: number, body: string, headers: Record<string, unknown> }
type Send = (request: { method: string, url: string, headers?: Record<string, string>, payload?: string }) => Promise<Answer>

/** Proxies PostgreSQL for a database of the test's own; `url` goes through the proxy. */
async function proxiedDatabase (t: Test): Promise<{ proxy: TcpProxy, url: string }> {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const proxy = await new TcpProxy({ host: '127.0.0.1', port: Number(new URL(database.url).port || 5432) }).start()
  t.teardown(() => proxy.close())
  const url = new URL(database.url)
  url.port = String(proxy.port)
  return { proxy, url: url.toString() }
}

const ACCEPT = { json: 'application/json', xml: 'application/xml' } as const

/** What clients send while the database is away: reads, an action and a create, in both formats. */
function requestsDuringOutage (backend: string, key: string, machine: number, format: keyof typeof ACCEPT) {
  const accept = ACCEPT[format]
  const body = (value: Record<string, unknown>): { headers: Record<string, string>, payload: string } => format === 'json'
    ? { headers: { accept, 'content-type': 'application/json' }, payload: JSON.stringify(value) }
    : { headers: { accept, 'content-type': 'application/xml' }, payload: `<request>${Object.entries(value).map(([k, v]) => `<${k}>${String(v)}</${k}>`).join('')}</request>` }
  return [
    { what: 'machine list', method: 'GET', url: '/api/machine', headers: { accept } },
    { what: 'machine details', method: 'GET', url: `/api/machine/${machine}`, headers: { accept } },
    { what: 'backend machines', method: 'GET', url: `/backends/${backend}/machines`, headers: { accept } },
    { what: 'stop', method: 'POST', url: `/api/machine/${machine}/control`, ...body({ action: 'stop' }) },
    { what: 'create', method: 'POST', url: `/backends/${backend}/machines`, ...body({ name: `outage-${format}`, key, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' }) }
  ]
}

/** Each answer is a 503 database-unavailable problem in the format asked for, with Retry-After, in bounded time. */
async function expectUnavailable (t: Test, send: Send, backend: string, key: string, machine: number, where: string): Promise<void> {
  for (const format of ['json', 'xml'] as const) {
    const requests = requestsDuringOutage(backend, key, machine, format)
    const answers = await Promise.all(requests.map(async (request) => {
      const started = Date.now()
      const answer = await send(request)
      return { request, answer, ms: Date.now() - started }
    }))
    for (const { request, answer, ms } of answers) {
      const label = `${where}: ${request.what} (${format})`
      t.equal(answer.statusCode, 503, `${label}: 503, not ${answer.statusCode}`)
      t.equal(answer.headers['retry-after'], '5', `${label}: Retry-After`)
      t.match(String(answer.headers['content-type']), format === 'json' ? /^application\/problem\+json/ : /^application\/problem\+xml/, `${label}: negotiated format`)
      if (format === 'json') {
        t.match(json(answer.body), { type: '/problems/database-unavailable', status: 503, retry_after: 5 }, `${label}: problem document`)
      } else {
        t.match(answer.body, /<type>\/problems\/database-unavailable<\/type>/, `${label}: problem document`)
      }
      t.ok(ms < LONGEST_ANSWER_MS, `${label}: answered in ${ms} ms (< ${LONGEST_ANSWER_MS})`)
    }
  }
}

const injectOf = (app: App): Send => async (request) => {
  const answer = await app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.payload })
  return { statusCode: answer.statusCode, body: answer.body, headers: answer.headers }
}

t.test('one server: cut, then silenced, then restored', async (t) => {
  const { proxy, url } = await proxiedDatabase(t)
  let logs = ''
  const app = authorize(await buildApp(testConfig({
    databaseUrl: url, databaseConnectTimeoutMs: CONNECT_MS, databaseQueryTimeoutMs: QUERY_MS, logLevel: 'info'
  }), { logStream: { write: (line) => { logs += line } } }))
  t.teardown(() => app.close())
  await app.ready()
  const send = injectOf(app)
  const backend = await addSandboxBackend(app, { boot_delay_ms: 0, stop_delay_ms: 1500 })
  const key = await addKey(app)
  const stopping = await createMachine(app, backend, key, { name: 'stopping' })
  const running = await createMachine(app, backend, key, { name: 'running' })
  await waitForState(app, stopping.id, 'active')
  await waitForState(app, running.id, 'active')
  const before = await app.db.transition.count()

  // A stop is accepted, and the database goes away while the machine is stopping.
  const stop = await send({ method: 'POST', url: `/api/machine/${stopping.id}/control`, headers: { 'content-type': 'application/json' }, payload: '{"action":"stop"}' })
  t.equal(stop.statusCode, 204)
  await proxy.cut()
  await expectUnavailable(t, send, backend, key, running.id, 'cut')
  const health = await send({ method: 'GET', url: '/health' })
  t.equal(health.statusCode, 200, '/health is liveness: 200 while the database is away')
  t.match(json(health.body), { status: 'ok', database: 'down' })
  t.equal((await send({ method: 'GET', url: '/ready' })).statusCode, 503, '/ready says not ready')

  await proxy.restore()
  await eventually(async () => (await send({ method: 'GET', url: '/ready' })).statusCode === 200, 15_000)
  t.pass('ready again by itself once the database is back')
  t.match(json((await send({ method: 'GET', url: '/health' })).body), { database: 'up' })
  await waitForState(app, stopping.id, 'inactive', 30_000)
  t.pass('the stop begun before the outage finished and was recorded')
  t.equal(await app.db.machine.count(), 2, 'the creates tried meanwhile left no machine')
  t.equal(await app.db.machineIntent.count(), 0, 'nor an intent')
  t.equal((await app.db.machine.findUniqueOrThrow({ where: { id: running.id } })).state, 'running', 'the refused stop left its machine as it was')
  const after = await app.db.transition.findMany({ where: { id: { gt: before } }, orderBy: { id: 'asc' } })
  t.same(after.map((row) => [row.machineId, row.toState]), [[stopping.id, 'stopping'], [stopping.id, 'stopped']], 'the only transitions are the accepted stop\'s')

  // The network now drops everything without a word: every request still answers, in bounded time.
  await proxy.silence()
  await expectUnavailable(t, send, backend, key, running.id, 'silenced')
  await proxy.restore()
  await eventually(async () => (await send({ method: 'GET', url: '/ready' })).statusCode === 200, 15_000)
  const again = await send({ method: 'POST', url: `/api/machine/${running.id}/control`, headers: { 'content-type': 'application/json' }, payload: '{"action":"stop"}' })
  t.equal(again.statusCode, 204, 'actions work again')
  await waitForState(app, running.id, 'inactive', 30_000).catch((e) => { if (process.env.OUTAGE_LOGS !== undefined) writeFileSync(process.env.OUTAGE_LOGS, logs); throw e })

  if (process.env.OUTAGE_LOGS !== undefined) writeFileSync(process.env.OUTAGE_LOGS, logs)
  t.notMatch(logs, /"request failed"/, 'no request was logged as a server fault')
  const lines = logs.split('\n')
  const gone = lines.filter((line) => line.includes('database unreachable')).length
  const back = lines.filter((line) => line.includes('database reachable again')).length
  t.ok(gone >= 2 && gone <= 4, `an outage is logged once it begins, not per failure (${gone} warnings for 2 outages)`)
  t.equal(back, gone, 'and once when it ends')
})

t.test('three servers on PostgreSQL: the same, each by itself', async (t) => {
  t.setTimeout(240_000)
  const { proxy, url } = await proxiedDatabase(t)
  const env = {
    DATABASE_URL: url,
    DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
    DATABASE_QUERY_TIMEOUT_MS: String(QUERY_MS),
    POLL_INTERVAL_MS: '200',
    // A job fetched by a query whose answer the silenced network swallowed is held by nobody
    // until it expires (twice the lease): short here, as in tests/multi-server.test.ts.
    WATCH_LEASE_MS: '1000',
    JOB_MAINTENANCE_INTERVAL_MS: '1000',
    JOB_POLL_INTERVAL_MS: '500',
    SYNC_INTERVAL_MS: '0'
  }
  const servers: StartedServer[] = []
  // One first, so that the others find the database migrated (they may also race: tested elsewhere).
  servers.push(await startServer(t, env))
  servers.push(...await Promise.all([startServer(t, env), startServer(t, env)]))
  t.teardown(() => Promise.all(servers.map((server) => server.stop())))
  const senders = servers.map((server): Send => async (request) => {
    const answer = await fetch(`${server.base}${request.url}`, {
      method: request.method,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...request.headers },
      ...(request.payload === undefined ? {} : { body: request.payload })
    })
    return { statusCode: answer.status, body: await answer.text(), headers: Object.fromEntries(answer.headers) }
  })
  const first = senders[0]!
  const backend = json((await first({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ title: 's', provider: 'sandbox', api_key: 'k', boot_delay_ms: 0, stop_delay_ms: 1500 }) })).body).id as string
  const key = json((await first({ method: 'POST', url: '/keys', headers: { 'content-type': 'application/json' }, payload: '{"name":"k"}' })).body).id as string
  const made = await first({ method: 'POST', url: `/backends/${backend}/machines`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'm', key, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' }) })
  t.equal(made.statusCode, 201)
  const machine = json(made.body).machine_api_id as number
  await eventually(async () => json((await first({ method: 'GET', url: `/api/machine/${machine}` })).body).state === 'active', 15_000)

  await proxy.cut()
  await Promise.all(senders.map(async (send, i) => expectUnavailable(t, send, backend, key, machine, `cut, server ${i + 1}`)))
  await proxy.restore()
  await Promise.all(senders.map(async (send) => eventually(async () => (await send({ method: 'GET', url: '/ready' })).statusCode === 200, 20_000)))
  t.pass('every server is ready again by itself')

  await proxy.silence()
  await Promise.all(senders.map(async (send, i) => expectUnavailable(t, send, backend, key, machine, `silenced, server ${i + 1}`)))
  await proxy.restore()
  await Promise.all(senders.map(async (send) => eventually(async () => (await send({ method: 'GET', url: '/ready' })).statusCode === 200, 20_000)))

  // The last server stops the machine; the watch, on whichever server, records the end.
  const stop = await senders[2]!({ method: 'POST', url: `/api/machine/${machine}/control`, headers: { 'content-type': 'application/json' }, payload: '{"action":"stop"}' })
  t.equal(stop.statusCode, 204, 'actions work again')
  await eventually(async () => json((await first({ method: 'GET', url: `/api/machine/${machine}` })).body).state === 'inactive', 20_000).catch((e) => {
    if (process.env.OUTAGE_LOGS !== undefined) writeFileSync(process.env.OUTAGE_LOGS, servers.map((s) => s.logs()).join('\n=====\n'))
    throw e
  })
  const rows = await first({ method: 'GET', url: '/api/machine' })
  t.equal(json(rows.body).length, 1, 'the creates tried during the outages left nothing')
  for (const [i, server] of servers.entries()) {
    t.notMatch(server.logs(), /"request failed"/, `server ${i + 1}: no request logged as a server fault`)
    const warnings = server.logs().split('\n').filter((line) => line.includes('database unreachable')).length
    t.ok(warnings >= 1 && warnings <= 4, `server ${i + 1}: the outages are logged once each, not per failure (${warnings})`)
  }
})
