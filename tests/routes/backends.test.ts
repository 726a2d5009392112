import t from 'tap'
import pg from 'pg'
import { addKey, addSandboxBackend, buildTestApp, createMachine, json, waitForState } from '../helper.ts'

t.test('backends: create, read, update, delete; credentials never answered', async (t) => {
  const app = await buildTestApp(t)

  const created = await app.inject({
    method: 'POST',
    url: '/backends',
    payload: { title: 'My sandbox', provider: 'sandbox', api_key: 'very-secret-api-key', boot_delay_ms: 10 }
  })
  t.equal(created.statusCode, 201)
  const backend = json(created.body)
  t.equal(created.headers.location, `/backends/${backend.id}`)
  t.match(backend, { id: /^[0-9A-Za-z]{22}$/, title: 'My sandbox', provider: 'sandbox', settings: { boot_delay_ms: 10 } })
  t.notMatch(created.body, /very-secret-api-key/)

  for (const accept of ['application/json', 'application/xml']) {
    const list = await app.inject({ method: 'GET', url: '/backends', headers: { accept } })
    t.equal(list.statusCode, 200)
    t.match(list.body, backend.id)
    t.notMatch(list.body, /very-secret-api-key|api_key/)
  }

  const client = new pg.Client({ connectionString: app.databaseUrl })
  await client.connect()
  t.teardown(() => client.end())
  const { rows: [row] } = await client.query('SELECT credentials FROM backends WHERE id = $1', [backend.id])
  t.notMatch(row.credentials, /very-secret-api-key/, 'sealed at rest')
  t.same(app.secrets.openJson(row.credentials), { api_key: 'very-secret-api-key' })

  const updated = await app.inject({ method: 'PUT', url: `/backends/${backend.id}`, payload: { title: 'Renamed', stop_delay_ms: 5 } })
  t.equal(updated.statusCode, 200)
  t.match(json(updated.body), { title: 'Renamed', settings: { boot_delay_ms: 10, stop_delay_ms: 5 } })
  const { rows: [after] } = await client.query('SELECT credentials FROM backends WHERE id = $1', [backend.id])
  t.same(app.secrets.openJson(after.credentials), { api_key: 'very-secret-api-key' }, 'credentials not given are kept')

  t.equal((await app.inject({ method: 'PUT', url: `/backends/${backend.id}`, payload: { provider: 'ec2' } })).statusCode, 400, 'provider cannot change')
  t.equal((await app.inject({ method: 'PUT', url: `/backends/${backend.id}`, payload: {} })).statusCode, 400, 'empty update')

  const removed = await app.inject({ method: 'DELETE', url: `/backends/${backend.id}` })
  t.equal(removed.statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: `/backends/${backend.id}` })).statusCode, 404)
  t.equal((await app.inject({ method: 'DELETE', url: `/backends/${backend.id}` })).statusCode, 404)
})

t.test('bad backend input gets a clear 400 and writes nothing', async (t) => {
  const app = await buildTestApp(t)
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no title', { provider: 'sandbox', api_key: 'k' }, /title/],
    ['unknown provider', { title: 't', provider: 'mars' }, /provider/],
    ['provider without a plugin', { title: 't', provider: 'linode' }, /provider/],
    ['missing credential', { title: 't', provider: 'sandbox' }, /api_key/],
    ['bad fault', { title: 't', provider: 'sandbox', api_key: 'k', faults: { create: 'meteor' } }, /faults\/create/],
    ['bad operation', { title: 't', provider: 'sandbox', api_key: 'k', faults: { fly: 'timeout' } }, /faults\/fly/],
    ['negative delay', { title: 't', provider: 'sandbox', api_key: 'k', boot_delay_ms: -1 }, /boot_delay_ms/]
  ]
  for (const [name, payload, detail] of cases) {
    const res = await app.inject({ method: 'POST', url: '/backends', payload })
    t.equal(res.statusCode, 400, name)
    t.match(json(res.body), { type: '/problems/validation-failed', detail }, name)
  }
  t.equal(await app.db.backend.count(), 0)
})

t.test('a backend with live machines cannot be removed; with only destroyed ones it can', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const machine = await createMachine(app, backend, await addKey(app))
  await waitForState(app, machine.id, 'active')
  const refused = await app.inject({ method: 'DELETE', url: `/backends/${backend}` })
  t.equal(refused.statusCode, 409)
  t.match(json(refused.body).detail, /destroy them first/)

  await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${machine.providerId}`, payload: { action: 'destroy' } })
  await waitForState(app, machine.id, 'destroyed')
  t.equal((await app.inject({ method: 'DELETE', url: `/backends/${backend}` })).statusCode, 204)
  const archived = await app.inject({ method: 'GET', url: `/api/machine/${machine.id}` })
  t.equal(json(archived.body).state, 'destroyed', 'the archive record outlives its backend')
})
