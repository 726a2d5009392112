import t from 'tap'
import { XMLParser } from 'fast-xml-parser'
import { addKey, addSandboxBackend, buildTestApp, createMachine, createUser, json, waitForState } from '../helper.ts'

// A machine's history and cost through both dialects, over a history pinned to known times.
const app = await buildTestApp(t, { pollIntervalMs: 50 })
const backend = await addSandboxBackend(app)
const key = await addKey(app)
const machine = await createMachine(app, backend, key)
await waitForState(app, machine.id, 'active')
const H = 3_600_000
const T0 = Date.parse('2026-11-02T00:00:00Z')
const row = await app.db.machine.findUniqueOrThrow({ where: { id: machine.id } })

// Pinned: made at T0, running 1 h after, stopped after 3 h of running; the price recorded with it
// is in force from its creation, a price change kept by the size catalog after 2 h of running.
await app.db.transition.deleteMany({ where: { machineId: machine.id } })
await app.db.transition.createMany({
  data: [
    { machineId: machine.id, fromState: null, toState: 'pending', at: new Date(T0), cause: 'api_action', detail: 'create' },
    { machineId: machine.id, fromState: 'pending', toState: 'running', at: new Date(T0 + H), cause: 'provider_sync' },
    { machineId: machine.id, fromState: 'running', toState: 'stopping', at: new Date(T0 + 4 * H), cause: 'api_action', detail: 'shutdown' },
    { machineId: machine.id, fromState: 'stopping', toState: 'stopped', at: new Date(T0 + 4 * H + 60_000), cause: 'api_action' }
  ]
})
await app.db.machine.update({ where: { id: machine.id }, data: { createdAt: new Date(T0), hourlyPrice: '0.500000', currency: 'USD', state: 'stopped' } })
await app.db.sizePrice.deleteMany({ where: { backendId: backend } })
await app.db.sizePrice.create({ data: { backendId: backend, sizeId: row.size!, hourlyPrice: '1.250000', currency: 'USD', source: 'the simulator\'s catalog', effectiveFrom: new Date(T0 + 3 * H) } })

t.test('history: every transition, in each dialect\'s words, JSON and XML', async (t) => {
  const gate = json((await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/transitions` })).body)
  t.same(gate.transitions.map((entry: { from: string | null, to: string }) => [entry.from, entry.to]), [[null, 'pending'], ['pending', 'active'], ['active', 'stopping'], ['stopping', 'inactive']])
  const mist = json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines/${machine.providerId}/transitions` })).body)
  t.same(mist.transitions.map((entry: { to: string }) => entry.to), ['pending', 'running', 'stopping', 'stopped'])
  t.equal(mist.transitions[2].detail, 'shutdown')
  const xml = await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/transitions`, headers: { accept: 'application/xml' } })
  t.equal(xml.statusCode, 200)
  t.match(xml.body, /<history><transitions><transition><from nil="true"\/><to>pending<\/to>/)
})

t.test('cost: the running hours at the price in force each hour, exact decimal strings', async (t) => {
  const query = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 24 * H).toISOString()}`
  const gate = await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/cost?${query}` })
  t.equal(gate.statusCode, 200, gate.body)
  const cost = json(gate.body)
  t.equal(cost.billed_seconds, 3 * 3600, 'the simulator bills running (and rebooting) only')
  t.same(cost.totals, [{ currency: 'USD', cost: '2.250000000' }], '2 h at 0.50, 1 h at 1.25')
  t.same(cost.intervals.filter((interval: { billable: boolean }) => interval.billable).map((interval: Record<string, unknown>) => [interval.state, interval.billed_seconds, interval.hourly_price, interval.cost]), [
    ['active', 7200, '0.500000', '1.000000000'],
    ['active', 3600, '1.250000', '1.250000000']
  ])
  t.equal(cost.billing_now, false, 'stopped: not billing')
  t.match(cost.billing_rule, { source: /billable_states/ })
  const mist = json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines/${machine.providerId}/cost?${query}` })).body)
  t.same(mist.totals, cost.totals)
  t.equal(mist.intervals[1].state, 'running')
  const xml = await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/cost?${query}`, headers: { accept: 'application/xml' } })
  const parsed = new XMLParser({ parseTagValue: false }).parse(xml.body)
  t.equal(parsed.cost.totals.total.cost, '2.250000000', 'the same decimal string in XML')
})

t.test('a window cuts the intervals; to before from is 422; another user\'s machine is 404', async (t) => {
  const window = json((await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/cost?from=${new Date(T0 + 2 * H).toISOString()}&to=${new Date(T0 + 3 * H).toISOString()}` })).body)
  t.same(window.totals, [{ currency: 'USD', cost: '0.500000000' }])
  const backwards = await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/cost?from=${new Date(T0 + 2 * H).toISOString()}&to=${new Date(T0).toISOString()}` })
  t.equal(backwards.statusCode, 422, backwards.body)
  const other = await createUser(app, 'someone-else')
  t.equal((await other.inject({ method: 'GET', url: `/api/machine/${machine.id}/cost` })).statusCode, 404)
  t.equal((await other.inject({ method: 'GET', url: `/api/machine/${machine.id}/transitions` })).statusCode, 404)
  t.equal((await other.inject({ method: 'GET', url: `/backends/${backend}/machines/${machine.providerId}/cost` })).statusCode, 404, 'nor through the backends API')
  const unknown = await app.inject({ method: 'GET', url: `/backends/${backend}/machines/no-such-machine/cost` })
  t.equal(unknown.statusCode, 404)
  t.match(json(unknown.body).detail, /no-such-machine of backend/, 'named as its path names it')
})

t.test('a deleted backend\'s machines have no cost through the backends API (as every other path of it)', async (t) => {
  const gone = await addSandboxBackend(app)
  const doomed = await createMachine(app, gone, key)
  const path = `/backends/${gone}/machines/${doomed.providerId}/cost`
  t.equal((await app.inject({ method: 'GET', url: path })).statusCode, 200, 'while its backend is kept')
  await app.db.backend.update({ where: { id: gone }, data: { deletedAt: new Date() } })
  t.equal((await app.inject({ method: 'GET', url: path })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: `/backends/${gone}/machines/${doomed.providerId}/transitions` })).statusCode, 404, 'as its history')
})

t.test('the size catalog keeps a price only when it changes', async (t) => {
  const fresh = await addSandboxBackend(app)
  for (let i = 0; i < 3; i++) await app.inject({ method: 'GET', url: `/backends/${fresh}/sizes` })
  await app.sizes.refresh(await app.db.backend.findUniqueOrThrow({ where: { id: fresh } }))
  const kept = await app.db.sizePrice.findMany({ where: { backendId: fresh } })
  const sizes = await app.db.size.count({ where: { backendId: fresh } })
  t.equal(kept.length, sizes, 'one price per size, however often refreshed')
})

t.test('an owner\'s price for a size from a date holds over the catalog\'s, and prices what follows', async (t) => {
  const override = await app.inject({ method: 'PUT', url: `/backends/${backend}/sizes/${row.size!}/price`, payload: { price: '0.250000', currency: 'USD', from: new Date(T0 + 2 * H).toISOString() } })
  t.equal(override.statusCode, 200, override.body)
  t.same(json(override.body).prices.map((entry: Record<string, unknown>) => [entry.price, entry.source]), [['0.250000', 'override']], 'the catalog\'s later change is overridden')
  const cost = json((await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/cost?from=${new Date(T0).toISOString()}&to=${new Date(T0 + 24 * H).toISOString()}` })).body)
  t.same(cost.totals, [{ currency: 'USD', cost: '1.000000000' }], '1 h at the recorded 0.50, 2 h at the owner\'s 0.25')
  await app.sizes.refresh(await app.db.backend.findUniqueOrThrow({ where: { id: backend } }))
  t.same(json((await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/cost?from=${new Date(T0).toISOString()}&to=${new Date(T0 + 24 * H).toISOString()}` })).body).totals, cost.totals, 'a catalog refresh does not undo it')
  t.equal((await app.inject({ method: 'PUT', url: `/backends/${backend}/sizes/no-such-size/price`, payload: { price: '1', currency: 'USD', from: new Date().toISOString() } })).statusCode, 404)
  t.equal((await app.inject({ method: 'PUT', url: `/backends/${backend}/sizes/${row.size!}/price`, payload: { price: '1.5', currency: 'usd', from: new Date().toISOString() } })).statusCode, 400)
  await app.db.sizePrice.deleteMany({ where: { backendId: backend, source: 'override' } })
})

t.test('GET /api/costs: grouped by machine, provider, tag, month and day; an administrator sees all, others their own', async (t) => {
  const query = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 2 * 86_400_000).toISOString()}`
  await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${machine.providerId}/metadata`, payload: { tag: 'dev' } })
  const byMachine = json((await app.inject({ method: 'GET', url: `/api/costs?${query}&group_by=machine` })).body)
  const mine = byMachine.groups.find((group: { key: string }) => group.key === String(machine.id))
  t.same(mine.costs, [{ currency: 'USD', cost: '2.250000000' }], 'the same as the machine\'s own cost')
  const byDay = json((await app.inject({ method: 'GET', url: `/api/costs?${query}&group_by=day` })).body)
  t.same(byDay.groups.map((group: { key: string }) => group.key), ['2026-11-02'], 'the pinned machine ran on one day')
  t.same(byDay.totals, byMachine.totals, 'days add up to the same total')
  const byTag = json((await app.inject({ method: 'GET', url: `/api/costs?${query}&group_by=tag` })).body)
  t.ok(byTag.groups.some((group: { key: string | null }) => group.key === 'dev'))
  const xml = await app.inject({ method: 'GET', url: `/api/costs?${query}&group_by=provider`, headers: { accept: 'application/xml' } })
  t.match(xml.body, /<costs>.*<group><key>sandbox<\/key>/s)
  const other = await createUser(app, 'cost-viewer')
  const theirs = json((await other.inject({ method: 'GET', url: `/api/costs?${query}` })).body)
  t.same(theirs.groups, [], 'a user sees only their own machines')
  t.equal((await app.inject({ method: 'GET', url: '/api/costs?group_by=day&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z' })).statusCode, 422, 'days over more than a year')
  t.equal((await app.inject({ method: 'GET', url: '/api/costs?group_by=planet' })).statusCode, 400)
})
