import t from 'tap'
import { addKey, addSandboxBackend, buildTestApp, createMachine, eventually, json, waitForState } from '../helper.ts'

const DOCUMENT_FIELDS = ['can_start', 'can_reboot', 'uuid', 'name', 'tags', 'can_stop', 'can_destroy', 'extra', 'public_ips', 'private_ips', 'imageId', 'state', 'can_tag', 'id', 'size']

t.test('list: exactly the document\'s fields, can_* true only when valid now', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const machine = await createMachine(app, backend, await addKey(app), { name: 'WebServer 3' })
  await waitForState(app, machine.id, 'active')

  const res = await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })
  t.equal(res.statusCode, 200)
  const [listed] = json(res.body)
  t.same(Object.keys(listed), DOCUMENT_FIELDS)
  t.match(listed, {
    can_start: false,
    can_reboot: true,
    can_stop: true,
    can_destroy: true,
    can_tag: true,
    uuid: /^[0-9a-f-]{36}$/,
    name: 'WebServer 3',
    tags: [],
    state: 'running',
    id: machine.providerId,
    imageId: 'debian-12',
    size: 'sbx.small',
    public_ips: [/^203\.0\.113\./],
    private_ips: [/^10\.20\./],
    extra: { instance_id: machine.providerId }
  })
  t.notMatch(res.body, /adminPassword|admin_password/)

  const xml = await app.inject({ method: 'GET', url: `/backends/${backend}/machines`, headers: { accept: 'application/xml' } })
  t.match(xml.body, /<machines><machine><can_start>false<\/can_start><can_reboot>true<\/can_reboot><uuid>/)
  t.match(xml.body, /<public_ips><ip>203\.0\.113\.\d+<\/ip><\/public_ips>/)

  await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${machine.providerId}`, payload: { action: 'shutdown' } })
  await waitForState(app, machine.id, 'inactive')
  const [stopped] = json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body)
  t.match(stopped, { state: 'stopped', can_start: true, can_stop: false, can_reboot: false, can_destroy: true })
})

t.test('create: the document\'s response, Location, price and a sealed admin password', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const key = await addKey(app)
  const res = await app.inject({
    method: 'POST',
    url: `/backends/${backend}/machines`,
    headers: { accept: 'application/xml', 'content-type': 'application/xml' },
    payload: `<machine><name>devserver</name><key>${key}</key><size>sbx.medium</size><script>echo 1 &gt; /root/config</script><image>ubuntu-24.04</image><location>sbx-us-1</location><monitoring>true</monitoring><image_extra></image_extra><disk></disk></machine>`
  })
  t.equal(res.statusCode, 201, res.body)
  t.match(res.body, /^<\?xml[^>]+>\n<machine><public_ips><ip>[\d.]+<\/ip><\/public_ips><extra>.*<\/extra><id>sbx-[0-9a-f]+<\/id><private_ips><ip>[\d.]+<\/ip><\/private_ips><name>devserver<\/name><uuid>[0-9a-f-]{36}<\/uuid><machine_api_id>\d+<\/machine_api_id><\/machine>$/)
  t.match(res.headers.location, /^\/api\/machine\/\d+$/)
  const stored = await app.db.machine.findFirstOrThrow()
  t.equal(stored.hourlyPrice!.toString(), '0.0416')
  t.equal(stored.currency, 'USD')
  t.match(stored.adminPassword, /^v1\./, 'sealed at rest')
  const history = await app.db.transition.findMany({ where: { machineId: stored.id }, orderBy: { id: 'asc' } })
  t.match(history[0], { fromState: null, toState: 'pending', cause: 'api_action' })
})

t.test('create: bad input is a clear 4xx and writes nothing', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const key = await addKey(app)
  const base = { name: 'm', key, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' }
  await app.db.key.updateMany({ data: { isDefault: false } })
  const cases: Array<[string, Record<string, unknown>, number, string]> = [
    ['missing name', { ...base, name: undefined }, 400, 'validation-failed'],
    ['no key, and no default key', { ...base, key: undefined }, 422, 'invalid-value'],
    ['unknown key', { ...base, key: 'nokey' }, 422, 'unknown-reference'],
    ['unknown size', { ...base, size: 'huge' }, 422, 'unknown-reference'],
    ['unknown image', { ...base, image: 'windows-95' }, 422, 'provider-rejected'],
    ['docker field on a sandbox backend', { ...base, docker_command: '/bin/bash' }, 422, 'invalid-value'],
    ['bad port key', { ...base, docker_exposed_ports: { http: {} } }, 400, 'validation-failed'],
    ['host port out of range (the document\'s own 88888)', { ...base, docker_port_bindings: { '8888/tcp': [{ HostPort: '88888' }] } }, 400, 'validation-failed'],
    ['wrong type', { ...base, monitoring: 'very' }, 400, 'validation-failed'],
    ['unknown field', { ...base, colour: 'blue' }, 400, 'validation-failed']
  ]
  for (const [name, payload, status, type] of cases) {
    const res = await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload })
    t.equal(res.statusCode, status, `${name}: ${res.body}`)
    t.equal(json(res.body).type, `/problems/${type}`, name)
  }
  t.equal(await app.db.machine.count(), 0)
  t.equal(await app.db.transition.count(), 0)
  t.equal((await app.inject({ method: 'POST', url: '/backends/nobackend/machines', payload: base })).statusCode, 404)
})

t.test('actions: 202 with the transitional state, then the final one; history row per change', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const machine = await createMachine(app, backend, await addKey(app))
  await waitForState(app, machine.id, 'active')
  const act = (action: string) => app.inject({ method: 'POST', url: `/backends/${backend}/machines/${machine.providerId}`, payload: { action } })

  const reboot = await act('reboot')
  t.equal(reboot.statusCode, 202)
  t.match(json(reboot.body), { state: 'rebooting', can_reboot: false, can_stop: false })
  await eventually(async () => (await app.db.machine.findUniqueOrThrow({ where: { id: machine.id } })).state === 'running')

  t.equal((await act('shutdown')).statusCode, 202)
  await waitForState(app, machine.id, 'inactive')
  t.equal((await act('start')).statusCode, 202)
  await waitForState(app, machine.id, 'active')
  t.equal((await act('destroy')).statusCode, 202)
  const destroyed = await waitForState(app, machine.id, 'destroyed')
  t.ok(destroyed.lastTransition)

  const history = await app.db.transition.findMany({ where: { machineId: machine.id }, orderBy: { id: 'asc' } })
  t.same(history.map((h) => `${h.fromState ?? '-'}>${h.toState}`), [
    '->pending', 'pending>running', 'running>rebooting', 'rebooting>running', 'running>stopping', 'stopping>stopped',
    'stopped>starting', 'starting>running', 'running>destroying', 'destroying>terminated'
  ])
  const row = await app.db.machine.findUniqueOrThrow({ where: { id: machine.id } })
  t.equal(row.lastTransition.getTime(), history.at(-1)!.at.getTime(), 'lastTransition is the last history row')
  t.ok(row.destroyedAt, 'destroyed time recorded')

  t.same(json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body), [], 'destroyed machines are not listed')
  const again = await act('start')
  t.equal(again.statusCode, 409)
  t.match(json(again.body), { type: '/problems/invalid-state', state: 'terminated', allowed_actions: [] })
})

t.test('"not now" is 409, "never" is 422', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app, { boot_delay_ms: 60_000 })
  const key = await addKey(app)
  const booting = await createMachine(app, backend, key)
  const notNow = await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${booting.providerId}`, payload: { action: 'shutdown' } })
  t.equal(notNow.statusCode, 409)
  t.match(json(notNow.body), { type: '/problems/invalid-state', state: 'pending', detail: /cannot shutdown a machine that is pending/ })

  const fast = await addSandboxBackend(app)
  const spot = await createMachine(app, fast, key, { size: 'sbx.spot.small' })
  await waitForState(app, spot.id, 'active')
  const never = await app.inject({ method: 'POST', url: `/backends/${fast}/machines/${spot.providerId}`, payload: { action: 'shutdown' } })
  t.equal(never.statusCode, 422)
  t.equal(json(never.body).type, '/problems/action-not-supported')
  const gateNever = await app.inject({ method: 'POST', url: `/api/machine/${spot.id}/control`, payload: { action: 'stop' } })
  t.equal(gateNever.statusCode, 422)
  const [listed] = json((await app.inject({ method: 'GET', url: `/backends/${fast}/machines` })).body)
  t.match(listed, { can_stop: false, can_reboot: true, can_destroy: true })
  t.equal(await app.db.transition.count({ where: { machineId: spot.id } }), 2, 'refusals write no history')
})

t.test('concurrent actions on one machine: exactly one wins, one transition', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app, { stop_delay_ms: 2000 })
  const machine = await createMachine(app, backend, await addKey(app))
  await waitForState(app, machine.id, 'active')
  const before = await app.db.transition.count({ where: { machineId: machine.id } })

  const attempts = await Promise.all(Array.from({ length: 8 }, (_, i) => i % 2 === 0
    ? app.inject({ method: 'POST', url: `/api/machine/${machine.id}/control`, payload: { action: 'stop' } })
    : app.inject({ method: 'POST', url: `/backends/${backend}/machines/${machine.providerId}`, payload: { action: i % 4 === 1 ? 'shutdown' : 'reboot' } })))
  const codes = attempts.map((res) => res.statusCode).sort()
  t.equal(codes.filter((code) => code === 204 || code === 202).length, 1, `one winner: ${codes.join(',')}`)
  t.equal(codes.filter((code) => code === 409).length, 7)
  t.equal(await app.db.transition.count({ where: { machineId: machine.id } }), before + 1)
})

t.test('provider failures: clear 502/503/504, database consistent', async (t) => {
  const app = await buildTestApp(t)
  const key = await addKey(app)

  const noCreate = await addSandboxBackend(app, { faults: { create: 'unavailable' } })
  const refused = await app.inject({ method: 'POST', url: `/backends/${noCreate}/machines`, payload: { name: 'x', key, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' } })
  t.equal(refused.statusCode, 503)
  t.equal(refused.headers['retry-after'], '5')
  t.equal(await app.db.machine.count(), 0, 'no half-written machine')

  // A refusal (certainly not done) leaves the machine as it was: no claim or rollback in its
  // history, lastTransition unmoved; the refusal is its last_error (and in the audit log).
  const backend = await addSandboxBackend(app, { faults: { shutdown: 'credentials-rejected', reboot: 'timeout' } })
  const machine = await createMachine(app, backend, key)
  const active = await waitForState(app, machine.id, 'active')
  const historyBefore = await app.db.transition.findMany({ where: { machineId: machine.id }, orderBy: { id: 'asc' } })
  const rejected = await app.inject({ method: 'POST', url: `/api/machine/${machine.id}/control`, payload: { action: 'stop' } })
  t.equal(rejected.statusCode, 502)
  t.equal(json(rejected.body).type, '/problems/provider-credentials-rejected')
  t.notMatch(rejected.body, /sandbox-secret-key/)
  const after = json((await app.inject({ method: 'GET', url: `/api/machine/${machine.id}` })).body)
  t.equal(after.state, 'active')
  t.equal(after.lastTransition, active.lastTransition, 'the machine API\'s lastTransition has not moved')
  t.same(await app.db.transition.findMany({ where: { machineId: machine.id }, orderBy: { id: 'asc' } }), historyBefore, 'no transition rows')
  t.match((await app.db.machine.findUniqueOrThrow({ where: { id: machine.id } })).lastError, /^shutdown: sandbox: the API key was rejected/)
  // (The audit entry is written just after the answer.)
  t.match(await eventually(async () => await app.db.auditEntry.findFirst({ where: { path: `/api/machine/${machine.id}/control` }, orderBy: { at: 'desc' } }) ?? undefined), { status: 502, outcome: 'failed' }, 'the refusal is in the audit log')

  // A timeout leaves the outcome unknown: the watcher asks the provider and records the truth.
  const timedOut = await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${machine.providerId}`, payload: { action: 'reboot' } })
  t.equal(timedOut.statusCode, 504)
  await eventually(async () => (await app.db.machine.findUniqueOrThrow({ where: { id: machine.id } })).state === 'running')
  const last = await app.db.transition.findFirstOrThrow({ where: { machineId: machine.id }, orderBy: { id: 'desc' } })
  t.match(last, { fromState: 'rebooting', toState: 'running' })

  const listFails = await addSandboxBackend(app, { faults: { list: 'rate-limited' } })
  t.equal((await app.inject({ method: 'GET', url: `/backends/${listFails}/machines` })).statusCode, 503)
})

t.test('tags: added once, answered as a list; unknown machines are 404', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const machine = await createMachine(app, backend, await addKey(app))
  const tag = (value: string, headers = {}) => app.inject({ method: 'POST', url: `/backends/${backend}/machines/${machine.providerId}/metadata`, payload: { tag: value }, headers })
  t.same(json((await tag('Backup Machine')).body), { tags: ['Backup Machine'] })
  await Promise.all([tag('db'), tag('db'), tag('db')])
  t.same(json((await tag('Backup Machine')).body), { tags: ['Backup Machine', 'db'] })
  const xml = await tag('x', { accept: 'application/xml' })
  t.match(xml.body, /<metadata><tags><tag>Backup Machine<\/tag><tag>db<\/tag><tag>x<\/tag><\/tags><\/metadata>$/)
  t.equal((await tag('')).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: `/backends/${backend}/machines/sbx-none/metadata`, payload: { tag: 'a' } })).statusCode, 404)
  const [listed] = json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body)
  t.same(listed.tags, ['Backup Machine', 'db', 'x'])
})

t.test('list: within LIST_FRESH_MS of a whole listing it answers from the records; concurrent lists share one listing', async (t) => {
  const app = await buildTestApp(t, { listFreshMs: 60_000, pollIntervalMs: 60_000, syncIntervalMs: 0 })
  const backend = await addSandboxBackend(app, { boot_delay_ms: 0 })
  const key = await addKey(app)
  const machine = await createMachine(app, backend, key)
  await createMachine(app, backend, key, { name: 'second' })
  const listings = async () => Number((await app.db.$queryRaw<Array<{ count: number }>>`SELECT count FROM sandbox_api_calls WHERE account = ${backend} AND operation = 'list'`)[0]?.count ?? 0)
  const listed = async () => (await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body
  const list = async () => JSON.parse(await listed()) as Array<{ id: string, name: string, state: string }>
  const stale = async () => app.db.$executeRaw`UPDATE backends SET listed_at = now() - interval '61 seconds' WHERE id = ${backend}`

  await stale()
  const fromCloud = await listed()
  t.same(JSON.parse(fromCloud).map((m: { state: string }) => m.state), ['running', 'running'], 'a stale backend is listed at the cloud')
  const fromRecords = await listed()
  t.same(JSON.parse(fromRecords), JSON.parse(fromCloud), 'the list PostgreSQL wrote equals the schema-serialized one')
  t.same(JSON.parse(fromRecords).map(Object.keys), [DOCUMENT_FIELDS, DOCUMENT_FIELDS], 'field for field, in the document\'s order')

  const before = await listings()
  await app.db.sandboxInstance.update({ where: { id: machine.providerId }, data: { state: 'stopped' } })
  t.same((await list()).map((m) => m.state), ['running', 'running'], 'fresh: as recorded, the cloud not asked')
  t.equal(await listings(), before, 'no listing')
  await app.db.machine.update({ where: { id: machine.id }, data: { name: 'renamed "elsewhere" ü', tags: ['a\\b'] } })
  t.match(await list(), [{ name: 'renamed "elsewhere" ü', tags: ['a\\b'] }], 'a change by any server is seen at once (a rendered list is kept per version of the rows)')

  await stale()
  const lists = await Promise.all(Array.from({ length: 5 }, async () => list()))
  t.ok(lists.every((each) => each[0]?.state === 'stopped'), 'stale again: every concurrent list sees the cloud\'s change')
  t.equal(await listings(), before + 1, 'five concurrent lists, one listing')
  const row = await app.db.backend.findUniqueOrThrow({ where: { id: backend } })
  t.ok(Date.now() - row.listedAt!.getTime() < 10_000, 'the listing time is recorded')
  const xml = (await app.inject({ method: 'GET', url: `/backends/${backend}/machines`, headers: { accept: 'application/xml' } })).body
  t.match(xml, /<machines><machine><can_start>true<\/can_start>.*<name>renamed &quot;elsewhere&quot; ü<\/name>/, 'XML from the records too')
})
