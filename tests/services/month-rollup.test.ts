import t from 'tap'
import { addKey, addSandboxBackend, buildTestApp, createMachine, json, waitForState } from '../helper.ts'
import { closedMonthsWithin, rollUpClosedMonths, rollUpMonth } from '../../src/services/month-rollup.ts'

// Closed months are priced once and kept; a report over them reads the roll-up, and a change that
// lands in a rolled-up month later (late history, a price from a past date) is priced again.
const app = await buildTestApp(t, { pollIntervalMs: 50 })
const backend = await addSandboxBackend(app)
const key = await addKey(app)
const H = 3_600_000
const OCT = Date.parse('2026-10-01T00:00:00Z')
const NOV = Date.parse('2026-11-01T00:00:00Z')
const DEC = Date.parse('2026-12-01T00:00:00Z')

async function pinned (name: string, running: Array<[number, number]>): Promise<number> {
  const { id } = await createMachine(app, backend, key, { name })
  await waitForState(app, id, 'active')
  await app.db.transition.deleteMany({ where: { machineId: id } })
  const data: Array<{ machineId: number, fromState: 'running' | 'stopped' | null, toState: 'running' | 'stopped', at: Date, cause: 'provider_sync' }> = [
    { machineId: id, fromState: null, toState: 'stopped', at: new Date(OCT - 24 * H), cause: 'provider_sync' }
  ]
  for (const [from, to] of running) {
    data.push({ machineId: id, fromState: 'stopped', toState: 'running', at: new Date(from), cause: 'provider_sync' })
    data.push({ machineId: id, fromState: 'running', toState: 'stopped', at: new Date(to), cause: 'provider_sync' })
  }
  await app.db.transition.createMany({ data })
  await app.db.machine.update({ where: { id }, data: { createdAt: new Date(OCT - 24 * H), state: 'stopped', hourlyPrice: '0.360000', currency: 'USD' } })
  return id
}

const a = await pinned('october', [[OCT + 10 * H, OCT + 20 * H]])
const b = await pinned('across', [[NOV - 5 * H, NOV + 5 * H]])
const report = async () => json((await app.inject({ method: 'GET', url: `/api/costs?from=${new Date(OCT).toISOString()}&to=${new Date(DEC).toISOString()}&group_by=month` })).body)
const machineCost = async (id: number, from: number, to: number) =>
  json((await app.inject({ method: 'GET', url: `/api/machine/${id}/cost?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}` })).body).totals

t.test('a report over closed months reads their roll-up, and says what pricing each machine says', async (t) => {
  t.same(closedMonthsWithin({ from: new Date(OCT), to: new Date(DEC) }, new Date()).map((month) => month.toISOString().slice(0, 7)), ['2026-10', '2026-11'])
  const months = await report()
  t.same(months.groups.map((group: { key: string, costs: unknown }) => [group.key, group.costs]), [
    ['2026-10', [{ currency: 'USD', cost: '5.400000000' }]],
    ['2026-11', [{ currency: 'USD', cost: '1.800000000' }]]
  ], 'October: 10 h and 5 h at 0.36; November: 5 h')
  t.same((await machineCost(b, OCT, NOV))[0].cost, '1.800000000', 'the same as the machine\'s own cost')
  // The report's two months; the worker's start-up roll-up may also have priced September (the
  // machines date from 30 September), as it should, depending on whether it ran before or after they were pinned.
  t.equal(await app.db.machineMonthCost.count({ where: { machineId: { in: [a, b] }, month: { in: [new Date(OCT), new Date(NOV)] } } }), 4, 'one row per machine and month')
  t.equal(await rollUpMonth(app.db, new Date(OCT)), 0, 'up to date: nothing priced again')
  await app.db.machine.update({ where: { id: a }, data: { tags: ['x', 'y'] } })
  const tags = json((await app.inject({ method: 'GET', url: `/api/costs?from=${new Date(OCT).toISOString()}&to=${new Date(DEC).toISOString()}&group_by=tag` })).body)
  t.same(tags.totals, [{ currency: 'USD', cost: '7.200000000' }], 'by tag from the roll-up: each machine once in the totals')
  t.same(tags.groups.map((group: { key: string | null, costs: Array<{ cost: string }> }) => [group.key, group.costs[0]!.cost]), [[null, '3.600000000'], ['x', '3.600000000'], ['y', '3.600000000']])
  await app.db.machine.update({ where: { id: a }, data: { tags: [] } })
})

t.test('late history in a rolled-up month, and a price from a past date, are priced again', async (t) => {
  await app.db.transition.createMany({
    data: [
      { machineId: a, fromState: 'stopped', toState: 'running', at: new Date(OCT + 100 * H), cause: 'provider_sync' },
      { machineId: a, fromState: 'running', toState: 'stopped', at: new Date(OCT + 102 * H), cause: 'provider_sync' }
    ]
  })
  const months = await report()
  t.same(months.groups[0].costs, [{ currency: 'USD', cost: '6.120000000' }], 'October with two late hours')
  t.same(await machineCost(a, OCT, NOV), [{ currency: 'USD', cost: '4.320000000' }])

  await rollUpClosedMonths(app.db, new Date())
  const size = (await app.db.machine.findUniqueOrThrow({ where: { id: a } })).size!
  t.equal((await app.inject({ method: 'PUT', url: `/backends/${backend}/sizes/${size}/price`, payload: { price: '0.72', currency: 'USD', from: new Date(OCT).toISOString() } })).statusCode, 200)
  t.equal(await rollUpClosedMonths(app.db, new Date()), 4, 'the job prices the four machine-months the price touches again')
  t.same((await report()).groups.map((group: { costs: Array<{ cost: string }> }) => group.costs[0]!.cost), ['12.240000000', '3.600000000'], 'both months at the new price')
  t.equal(await rollUpClosedMonths(app.db, new Date()), 0, 'and once only')
})
