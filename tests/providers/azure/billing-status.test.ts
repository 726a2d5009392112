import t from 'tap'
import { AzureFake } from '../../fakes/azure-fake.ts'
import { buildTestApp, eventually, json } from '../../helper.ts'

// Azure's stopped-but-allocated VM bills; deallocated, it does not. Both are our "stopped": the
// cloud's own status, kept on each transition, tells them apart in history and in cost.
t.test('a VM stopped from inside its OS, then deallocated: two history rows, only the first billing', async (t) => {
  const fake = await new AzureFake().start()
  t.teardown(() => fake.close())
  const app = await buildTestApp(t, { pollIntervalMs: 50, cloudEnv: { AZURE_AUTHORITY_HOST: fake.origin, AZURE_RESOURCE_MANAGER_URL: fake.origin, AZURE_PRICES_URL: `${fake.origin}/api/retail/prices` } })
  const principal = fake.principal()
  const vm = fake.addVm(principal.subscription_id, 'g', 'portal-vm')
  const backend = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'azure', provider: 'azure', ...principal, resource_group: 'g', region: 'westeurope' } })).body).id
  const list = async () => json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body)
  const [machine] = await list()
  t.equal(machine.state, 'running')
  const record = await app.db.machine.findFirstOrThrow({ where: { backendId: backend } })
  t.equal(record.providerState, 'PowerState/running', 'the cloud\'s status is kept on the record')

  const history = async () => json((await app.inject({ method: 'GET', url: `/api/machine/${record.id}/transitions` })).body).transitions
  fake.setPower(vm, 'stopped')
  await app.db.backend.update({ where: { id: backend }, data: { listedAt: null } })
  await list()
  fake.setPower(vm, 'deallocated')
  await app.db.backend.update({ where: { id: backend }, data: { listedAt: null } })
  await list()
  await list()
  const rows = await eventually(async () => { const now = await history(); return now.length === 3 ? now : undefined })
  t.same(rows.map((row: { from: string | null, to: string, provider_state: string, cause: string }) => [row.from, row.to, row.provider_state, row.cause]), [
    [null, 'active', 'PowerState/running', 'provider_sync'],
    ['active', 'inactive', 'PowerState/stopped', 'provider_sync'],
    ['inactive', 'inactive', 'PowerState/deallocated', 'provider_sync']
  ], 'a change of the cloud\'s status alone is a row of its own, written once')

  // The three rows spread an hour apart (they were written within a second; cost counts seconds).
  const T0 = Date.parse('2026-11-02T00:00:00Z')
  const written = await app.db.transition.findMany({ where: { machineId: record.id }, orderBy: { id: 'asc' } })
  for (const [i, row] of written.entries()) await app.db.transition.update({ where: { id: row.id }, data: { at: new Date(T0 + i * 3_600_000) } })
  await app.db.machine.update({ where: { id: record.id }, data: { createdAt: new Date(T0) } })
  const cost = json((await app.inject({ method: 'GET', url: `/api/machine/${record.id}/cost?from=${new Date(T0).toISOString()}&to=${new Date(T0 + 3 * 3_600_000).toISOString()}` })).body)
  t.same(cost.intervals.map((interval: { provider_state: string, billable: boolean }) => [interval.provider_state, interval.billable]), [
    ['PowerState/running', true], ['PowerState/stopped', true], ['PowerState/deallocated', false]
  ], 'allocated bills, deallocated does not')
  t.equal(cost.billed_seconds, 7200, 'two hours: running, then stopped but allocated')
  t.equal(cost.billing_now, false)
})
