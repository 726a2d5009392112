import t from 'tap'
import { addKey, addSandboxBackend, buildTestApp, createMachine, json, waitForState } from '../helper.ts'

t.test('machine API: details with every field of the document', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const machine = await createMachine(app, backend, await addKey(app), { name: 'gate-1', kind: 'mimir' })

  const details = await waitForState(app, machine.id, 'active')
  t.same(Object.keys(details).sort(), ['adminPassword', 'currency', 'hourlyPrice', 'id', 'kind', 'lastTransition', 'launchTime', 'name', 'publicUrl', 'state'])
  t.match(details, { id: machine.id, name: 'gate-1', state: 'active', hourlyPrice: 0.015, currency: 'USD', kind: 'mimir', publicUrl: /^https:\/\//, adminPassword: /^[A-Za-z0-9]{20}$/ })
  t.ok(Date.parse(details.lastTransition) > 0)

  const xml = await app.inject({ method: 'GET', url: `/api/machine/${machine.id}`, headers: { accept: 'application/xml' } })
  t.match(xml.body, new RegExp(`<machine><id>${machine.id}</id><name>gate-1</name><state>active</state><hourlyPrice>0.015</hourlyPrice><currency>USD</currency><lastTransition>[^<]+</lastTransition><publicUrl>https://[^<]+</publicUrl><launchTime>[^<]+</launchTime><kind>mimir</kind><adminPassword>${details.adminPassword}</adminPassword></machine>$`))

  const stop = await app.inject({ method: 'POST', url: `/api/machine/${machine.id}/control`, payload: { action: 'stop' } })
  t.equal(stop.statusCode, 204)
  t.equal(stop.body, '')
  const stopped = await waitForState(app, machine.id, 'inactive')
  t.notOk('publicUrl' in stopped, 'publicUrl only while active')
  t.ok(Date.parse(stopped.lastTransition) > Date.parse(details.lastTransition))

  const missing = await app.inject({ method: 'GET', url: '/api/machine/999999' })
  t.equal(missing.statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/api/machine/abc' })).statusCode, 400)
})

t.test('machine API: list filtered by repeatable state, absolute urls', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const key = await addKey(app)
  const running = await createMachine(app, backend, key, { name: 'running' })
  const stopped = await createMachine(app, backend, key, { name: 'stopped' })
  const destroyed = await createMachine(app, backend, key, { name: 'destroyed' })
  for (const m of [running, stopped, destroyed]) await waitForState(app, m.id, 'active')
  await app.inject({ method: 'POST', url: `/api/machine/${stopped.id}/control`, payload: { action: 'stop' } })
  await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${destroyed.providerId}`, payload: { action: 'destroy' } })
  await waitForState(app, stopped.id, 'inactive')
  await waitForState(app, destroyed.id, 'destroyed')

  const list = async (query: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/api/machine${query}`, headers })
  const ids = async (query: string) => json((await list(query)).body).map((m: { id: number }) => m.id)
  t.same(await ids(''), [running.id, stopped.id], 'default: all but destroyed')
  t.same(await ids('?state=active'), [running.id])
  t.same(await ids('?state=active&state=inactive'), [running.id, stopped.id])
  t.same(await ids('?state=destroyed'), [destroyed.id], 'archive records are kept')
  t.same(await ids('?state=pending&state=stopping'), [])
  const bad = await list('?state=exploded')
  t.equal(bad.statusCode, 400)
  t.match(json(bad.body).errors[0].pointer, /^\/querystring\/state/)

  const [first] = json((await list('', { host: 'cloud.example:8443', 'x-forwarded-proto': 'https' })).body)
  t.equal(first.url, `http://cloud.example:8443/api/machine/${running.id}`, 'built from the request (no proxy trusted)')
  const xml = await list('?state=inactive', { accept: 'application/xml' })
  t.match(xml.body, new RegExp(`<machines><machine><id>${stopped.id}</id><url>http://[^<]+/api/machine/${stopped.id}</url><state>inactive</state></machine></machines>$`))
  t.match((await list('?state=destroyed', { accept: 'application/xml' })).body, /<machines><machine>/)
  t.match((await list('?state=pending', { accept: 'application/xml' })).body, /<machines><\/machines>$/)
})

t.test('machine API: configured public base URL wins', async (t) => {
  const app = await buildTestApp(t, { publicBaseUrl: 'https://api.stratus.example' })
  const machine = await createMachine(app, await addSandboxBackend(app), await addKey(app))
  t.same(json((await app.inject({ method: 'GET', url: '/api/machine' })).body)[0].url, `https://api.stratus.example/api/machine/${machine.id}`)
})

t.test('machine API: rename in JSON and XML, answered like GET', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const machine = await createMachine(app, backend, await addKey(app))
  await waitForState(app, machine.id, 'active')

  const renamed = await app.inject({ method: 'POST', url: `/api/machine/${machine.id}`, payload: { name: 'New name' } })
  t.equal(renamed.statusCode, 200)
  t.match(json(renamed.body), { id: machine.id, name: 'New name', state: 'active', adminPassword: String })

  const viaXml = await app.inject({
    method: 'POST',
    url: `/api/machine/${machine.id}`,
    headers: { 'content-type': 'application/xml', accept: 'application/xml' },
    payload: '<machine>\n  <name>Name &amp; more</name>\n</machine>'
  })
  t.equal(viaXml.statusCode, 200)
  t.match(viaXml.body, /<name>Name &amp; more<\/name>/)

  for (const payload of [{}, { name: '' }, { name: 'x', state: 'active' }, { name: 'a\u0000b' }]) {
    t.equal((await app.inject({ method: 'POST', url: `/api/machine/${machine.id}`, payload })).statusCode, 400, JSON.stringify(payload))
  }
  t.equal((await app.db.machine.findUniqueOrThrow({ where: { id: machine.id } })).name, 'Name & more')

  await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${machine.providerId}`, payload: { action: 'destroy' } })
  await waitForState(app, machine.id, 'destroyed')
  const archive = await app.inject({ method: 'POST', url: `/api/machine/${machine.id}`, payload: { name: 'ghost' } })
  t.equal(archive.statusCode, 409)
})

t.test('machine API: control in XML; start only from inactive, stop only from active', async (t) => {
  const app = await buildTestApp(t)
  // A boot long enough that the machine is still pending when the first control arrives on a loaded machine (30 ms was not, in CI).
  const backend = await addSandboxBackend(app, { boot_delay_ms: 1500 })
  const machine = await createMachine(app, backend, await addKey(app))
  const control = (action: string) => app.inject({
    method: 'POST',
    url: `/api/machine/${machine.id}/control`,
    headers: { 'content-type': 'application/xml', accept: 'application/xml' },
    payload: `<control><action>${action}</action></control>`
  })
  const early = await control('stop')
  t.equal(early.statusCode, 409, 'pending machines cannot stop yet')
  t.match(early.body, /<type>\/problems\/invalid-state<\/type>.*<state>pending<\/state><allowed_actions><\/allowed_actions>/)
  await waitForState(app, machine.id, 'active')
  t.equal((await control('start')).statusCode, 409, 'active machines cannot start')
  t.equal((await control('stop')).statusCode, 204)
  await waitForState(app, machine.id, 'inactive')
  t.equal((await control('stop')).statusCode, 409)
  t.equal((await control('start')).statusCode, 204)
  await waitForState(app, machine.id, 'active')
  t.equal((await control('reboot')).statusCode, 400, 'only start and stop')
})
