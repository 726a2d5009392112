import t from 'tap'
import { randomBytes } from 'node:crypto'
import { createXmlReader } from '../../src/xml/decode.ts'
import { CostReport, Forecast, Savings } from '../../src/schemas/machine-cost.ts'
import { DigitalOceanFake } from '../fakes/digitalocean-fake.ts'
import { addKey, addSandboxBackend, buildTestApp, createUser, json, waitForState } from '../helper.ts'

// Costs through the API, black box: a real sandbox lifecycle priced by hand from its own
// /transitions; windows that add up; the forecast and a schedule's savings under the billing rules.
const fake = await new DigitalOceanFake({ bootMs: 50, actionMs: 50 }).start()
t.teardown(() => fake.close())
const admin = await buildTestApp(t, { pollIntervalMs: 50, cloudEnv: { DIGITALOCEAN_API_URL: fake.url } })
const readXml = createXmlReader({ maxDepth: 32 })
const H = 3_600_000
const nanos = (decimal: string): bigint => BigInt(decimal.replace('.', ''))
const totalOf = (costs: Array<{ currency: string, cost: string }>): bigint => costs.reduce((sum, entry) => sum + nanos(entry.cost), 0n)

t.test('a machine run, stopped, started, repriced and destroyed: the hand sum of its /transitions is what every cost route says', async (t) => {
  const user = await createUser(admin, `costs-${randomBytes(3).toString('hex')}`)
  const app = { inject: user.inject }
  const backend = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 's', provider: 'sandbox', api_key: 'k', boot_delay_ms: 30, stop_delay_ms: 30 } })).body).id
  const key = json((await app.inject({ method: 'POST', url: '/keys', payload: { name: 'k' } })).body).id
  const created = await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { name: 'lived', key, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' } })
  const id = Number(created.headers.location!.split('/').pop())
  const control = async (action: string, state: string) => {
    t.equal((await app.inject({ method: 'POST', url: `/api/machine/${id}/control`, payload: { action } })).statusCode, 204)
    await waitForState(admin, id, state)
  }
  await waitForState(admin, id, 'active')
  await control('stop', 'inactive')
  await control('start', 'active')
  const providerId = json(created.body).id
  t.equal((await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${providerId}`, payload: { action: 'destroy' } })).statusCode, 202)
  await waitForState(admin, id, 'destroyed')

  // The life happened in a second; stretched to hours (each ms an hour's 3.6 s, order kept) so
  // that prices matter. A price of 0.36 an hour is exactly 0.0001 a second.
  const rows = await admin.db.transition.findMany({ where: { machineId: id }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })
  const T0 = Date.parse('2026-11-02T00:00:00Z')
  const first = rows[0]!.at.getTime()
  for (const row of rows) await admin.db.transition.update({ where: { id: row.id }, data: { at: new Date(T0 + (row.at.getTime() - first) * 3600 + rows.indexOf(row) * H) } })
  const size = (await admin.db.machine.findUniqueOrThrow({ where: { id } })).size!
  await admin.db.machine.update({ where: { id }, data: { createdAt: new Date(T0), destroyedAt: null } })
  await admin.db.machine.update({ where: { id }, data: { destroyedAt: (await admin.db.transition.findFirstOrThrow({ where: { machineId: id, toState: 'terminated' } })).at } })
  const history = json((await app.inject({ method: 'GET', url: `/api/machine/${id}/transitions` })).body).transitions as Array<{ to: string, at: string }>
  const change = Date.parse(history[Math.floor(history.length / 2)]!.at) + 1800_000
  t.equal((await app.inject({ method: 'PUT', url: `/backends/${backend}/sizes/${size}/price`, payload: { price: '0.36', currency: 'USD', from: new Date(T0 - H).toISOString() } })).statusCode, 200)
  t.equal((await app.inject({ method: 'PUT', url: `/backends/${backend}/sizes/${size}/price`, payload: { price: '0.72', currency: 'USD', from: new Date(change).toISOString() } })).statusCode, 200)

  // By hand: the simulator bills active (running, rebooting) per second, at 0.0001 a second before
  // the change and 0.0002 after it.
  let hand = 0n
  for (let i = 0; i + 1 < history.length; i++) {
    if (history[i]!.to !== 'active') continue
    for (let s = Math.floor(Date.parse(history[i]!.at) / 1000); s < Math.floor(Date.parse(history[i + 1]!.at) / 1000); s++) hand += s * 1000 < change ? 100_000n : 200_000n
  }
  t.ok(hand > 0n, `${hand} nano-dollars by hand`)
  const a = new Date(T0 - H).toISOString()
  const c = new Date(T0 + 30 * H).toISOString()
  const machineCost = json((await app.inject({ method: 'GET', url: `/api/machine/${id}/cost?from=${a}&to=${c}` })).body)
  t.equal(totalOf(machineCost.totals), hand, 'GET /api/machine/{id}/cost')
  t.equal(totalOf(json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines/${providerId}/cost?from=${a}&to=${c}` })).body).totals), hand, 'the backends API\'s')
  for (const group of ['machine', 'backend', 'provider', 'size', 'tag', 'user', 'month', 'day']) {
    const report = json((await app.inject({ method: 'GET', url: `/api/costs?from=${a}&to=${c}&group_by=${group}` })).body)
    t.equal(totalOf(report.totals), hand, `GET /api/costs?group_by=${group}: totals`)
    t.equal(report.groups.reduce((sum: bigint, entry: { costs: Array<{ currency: string, cost: string }> }) => sum + totalOf(entry.costs), 0n), hand, `group_by=${group}: groups`)
  }
  // cost(a, b) + cost(b, c) = cost(a, c), wherever b falls.
  for (const b of [T0 + 1234_567, change, change + 1, Date.parse(history[2]!.at) + 999]) {
    const left = json((await app.inject({ method: 'GET', url: `/api/machine/${id}/cost?from=${a}&to=${new Date(b).toISOString()}` })).body)
    const right = json((await app.inject({ method: 'GET', url: `/api/machine/${id}/cost?from=${new Date(b).toISOString()}&to=${c}` })).body)
    t.equal(totalOf(left.totals) + totalOf(right.totals), hand, `split at ${new Date(b).toISOString()}`)
    // The report reads only what a window needs of each history (from a day before it): the same sum.
    const report = json((await app.inject({ method: 'GET', url: `/api/costs?from=${new Date(b).toISOString()}&to=${c}` })).body)
    t.equal(totalOf(report.totals), totalOf(right.totals), `the report from ${new Date(b).toISOString()}`)
  }
  const xml = await app.inject({ method: 'GET', url: `/api/costs?from=${a}&to=${c}&group_by=day`, headers: { accept: 'application/xml' } })
  t.same(readXml(xml.body, CostReport), json((await app.inject({ method: 'GET', url: `/api/costs?from=${a}&to=${c}&group_by=day` })).body), 'XML is the same document as JSON')
})

t.test('the forecast: accrued, the run rate to the month\'s end, and the schedules ahead applied', async (t) => {
  const user = await createUser(admin, `forecast-${randomBytes(3).toString('hex')}`)
  const backend = json((await user.inject({ method: 'POST', url: '/backends', payload: { title: 's', provider: 'sandbox', api_key: 'k', boot_delay_ms: 0, stop_delay_ms: 0 } })).body).id
  const key = json((await user.inject({ method: 'POST', url: '/keys', payload: { name: 'k' } })).body).id
  const created = await user.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { name: 'steady', key, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' } })
  const id = Number(created.headers.location!.split('/').pop())
  await waitForState(admin, id, 'active')
  const size = (await admin.db.machine.findUniqueOrThrow({ where: { id } })).size!
  await user.inject({ method: 'PUT', url: `/backends/${backend}/sizes/${size}/price`, payload: { price: '0.36', currency: 'USD', from: '2026-01-01T00:00:00Z' } })
  const stopAt = new Date(Date.now() + 2 * H)
  const schedule = json((await user.inject({ method: 'POST', url: '/api/schedules', payload: { name: 'stop once', action: 'stop', when: { type: 'one_off', at: stopAt.toISOString() }, selector: { machine_ids: [id] } } })).body)

  const answer = await user.inject({ method: 'GET', url: '/api/costs/forecast' })
  t.equal(answer.statusCode, 200, answer.body)
  const forecast = json(answer.body)
  const end = Math.floor(Date.parse(forecast.to) / 1000)
  const asOf = Math.floor(Date.parse(forecast.as_of) / 1000)
  const accrued = totalOf(forecast.accrued)
  t.equal(totalOf(forecast.projected) - accrued, BigInt(end - asOf) * 100_000n, 'running to the month\'s end at 0.0001 a second')
  if (stopAt.getTime() < Date.parse(forecast.to)) {
    t.equal(totalOf(forecast.projected_with_schedules) - accrued, BigInt(Math.floor(stopAt.getTime() / 1000) - asOf) * 100_000n, 'until the stop the schedule makes')
    t.equal(forecast.schedules, 1)
  }
  t.match(forecast, { month: /^\d{4}-\d\d$/, timezone: 'UTC' })
  const athens = json((await user.inject({ method: 'GET', url: '/api/costs/forecast?month=2026-11&tz=Europe/Athens' })).body)
  t.match(athens, { from: '2026-10-31T22:00:00.000Z', to: '2026-11-30T22:00:00.000Z' }, 'a month in a zone')
  t.same(athens.projected, athens.accrued, 'a past month: nothing ahead')
  t.equal((await user.inject({ method: 'GET', url: '/api/costs/forecast?tz=Nowhere/Land' })).statusCode, 422)
  const xml = await user.inject({ method: 'GET', url: '/api/costs/forecast?month=2026-11', headers: { accept: 'application/xml' } })
  t.match(xml.body, /^<\?xml[^>]*>\s*<forecast>/)
  const fromXml = readXml(xml.body, Forecast) as Record<string, unknown>
  t.same(fromXml.accrued, json((await user.inject({ method: 'GET', url: '/api/costs/forecast?month=2026-11' })).body).accrued)

  const savings = json((await user.inject({ method: 'GET', url: `/api/schedules/${schedule.id}/savings?days=1` })).body)
  t.equal(savings.machines[0].billed_seconds_without - savings.machines[0].billed_seconds_with, Math.floor(Date.parse(savings.to) / 1000) - Math.floor(stopAt.getTime() / 1000), 'saves the day after the stop')
  t.equal(savings.machines[0].reason, null)
})

t.test('a stop schedule on DigitalOcean saves nothing, and says why; paired with a start it still does', async (t) => {
  const token = `dop_v1_${randomBytes(24).toString('hex')}`
  fake.account(token)
  const droplet = fake.addDroplet(token, { name: 'always-billing' })
  const backend = json((await admin.inject({ method: 'POST', url: '/backends', payload: { title: 'do', provider: 'digitalocean', token } })).body).id
  await admin.inject({ method: 'GET', url: `/backends/${backend}/machines` })
  const machine = await admin.db.machine.findFirstOrThrow({ where: { backendId: backend, providerId: String(droplet.id) } })
  await admin.db.sizePrice.create({ data: { backendId: backend, sizeId: machine.size!, hourlyPrice: '0.036', currency: 'USD', source: 'override', effectiveFrom: new Date('2026-01-01T00:00:00Z') } })
  const night = json((await admin.inject({ method: 'POST', url: '/api/schedules', payload: { name: 'night', action: 'stop', when: { type: 'cron', expression: '0 20 * * *' }, selector: { machine_ids: [machine.id] } } })).body)
  await admin.inject({ method: 'POST', url: '/api/schedules', payload: { name: 'morning', action: 'start', when: { type: 'cron', expression: '0 8 * * *' }, selector: { machine_ids: [machine.id] } } })
  const answer = await admin.inject({ method: 'GET', url: `/api/schedules/${night.id}/savings?days=7` })
  const savings = json(answer.body)
  t.same(savings.savings, [{ currency: 'USD', cost: '0.000000000' }])
  t.match(savings.machines[0], { billed_seconds_without: savings.machines[0].billed_seconds_with, reason: /digitalocean bills a stopped machine/ })
  const xml = await admin.inject({ method: 'GET', url: `/api/schedules/${night.id}/savings?days=7`, headers: { accept: 'application/xml' } })
  // Asked again a moment later: DigitalOcean's started hours may round the window's end differently, the saving is the same.
  const again = readXml(xml.body, Savings) as { savings: unknown, machines: Array<{ reason: string }> }
  t.same([again.savings, again.machines.map((entry) => entry.reason)], [savings.savings, savings.machines.map((entry: { reason: string }) => entry.reason)], 'XML: the same answer')

  // On the simulator, the same pair saves the twelve night hours of each day.
  const sandbox = await addSandboxBackend(admin)
  const key = await addKey(admin)
  const made = await admin.inject({ method: 'POST', url: `/backends/${sandbox}/machines`, payload: { name: 'nightly', key, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' } })
  const id = Number(made.headers.location!.split('/').pop())
  await waitForState(admin, id, 'active')
  const stop = json((await admin.inject({ method: 'POST', url: '/api/schedules', payload: { name: 'night', action: 'stop', when: { type: 'cron', expression: '0 20 * * *' }, selector: { machine_ids: [id] } } })).body)
  await admin.inject({ method: 'POST', url: '/api/schedules', payload: { name: 'morning', action: 'start', when: { type: 'cron', expression: '0 8 * * *' }, selector: { machine_ids: [id] } } })
  const saved = json((await admin.inject({ method: 'GET', url: `/api/schedules/${stop.id}/savings?days=7` })).body).machines[0]
  const nights = saved.billed_seconds_without - saved.billed_seconds_with
  t.ok(nights >= 6 * 12 * 3600 && nights <= 7 * 12 * 3600, `${nights / 3600} h saved in a week: twelve a night`)
})
