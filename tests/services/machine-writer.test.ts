import t from 'tap'
import { randomUUID } from 'node:crypto'
import { applyTransitions, claim, insertMachines, machineFromCloud, recordOperation } from '../../src/services/machine-writer.ts'
import { addSandboxBackend, buildTestApp } from '../helper.ts'
import type { ProviderMachine } from '../../src/providers/driver.ts'

const found = (id: string, state: ProviderMachine['state'] = 'running'): ProviderMachine => ({
  id, name: id, state, size: 'sbx.small', image: 'debian-12', location: 'sbx-eu-1', publicIps: ['203.0.113.9'], privateIps: [], publicUrl: null, extra: { seen: true }
})

t.test('the machine writer\'s rules, each written once', async (t) => {
  const app = await buildTestApp(t)
  const backendId = await addSandboxBackend(app)
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const first = { cause: 'provider_sync' as const, detail: 'adopted: created outside Stratus' }

  // Two servers adopting the same machine at once write it once, with one history row.
  const [a, b] = await Promise.all([
    insertMachines(app.db, [machineFromCloud(backend, found('x-1'), randomUUID(), 'vm')], first),
    insertMachines(app.db, [machineFromCloud(backend, found('x-1'), randomUUID(), 'vm')], first)
  ])
  t.equal(a.length + b.length, 1, 'one row written')
  const row = (a[0] ?? b[0])!
  t.equal(await app.db.transition.count({ where: { machineId: row.id } }), 1, 'one first history row')
  t.match(row, { state: 'running', ownerId: backend.ownerId, extra: { seen: true } })

  // last_error: set by a failed action, kept by a pass settling a move, cleared by the next claim.
  await app.db.machine.update({ where: { id: row.id }, data: { state: 'stopping' } })
  const [failed] = await applyTransitions(app.db, [{ machineId: row.id, from: 'stopping', to: 'running', cause: 'action_failed', detail: 'shutdown: the OS ignored it' }])
  t.equal(failed!.machine.lastError, 'shutdown: the OS ignored it')
  await app.db.machine.update({ where: { id: row.id }, data: { state: 'rebooting' } })
  const [settled] = await applyTransitions(app.db, [{ machineId: row.id, from: 'rebooting', to: 'running', cause: 'api_action' }])
  t.equal(settled!.machine.lastError, 'shutdown: the OS ignored it', 'a pass settling a move keeps the reason')
  const claimed = await claim(app.db, { machineId: row.id, from: ['running'], to: 'stopping', cause: 'api_action', detail: 'shutdown' })
  t.equal(claimed!.machine.lastError, null, 'the next claim clears it')

  // Of two concurrent claims exactly one wins; a change decided from an old state writes nothing.
  await app.db.machine.update({ where: { id: row.id }, data: { state: 'running' } })
  const claims = await Promise.all([1, 2].map(async () => claim(app.db, { machineId: row.id, from: ['running'], to: 'destroying', cause: 'api_action', detail: 'destroy' })))
  t.equal(claims.filter((one) => one !== null).length, 1, 'one claim wins')
  t.same(await applyTransitions(app.db, [{ machineId: row.id, from: 'running', to: 'stopped', cause: 'provider_sync' }]), [], 'a stale change moves nothing')
  const gone = await applyTransitions(app.db, [{ machineId: row.id, from: 'destroying', to: 'terminated', cause: 'api_action' }])
  t.ok(gone[0]!.machine.destroyedAt instanceof Date, 'terminated: destroyed_at is set')
  t.same(gone[0]!.machine.publicIps, [], 'a machine gone keeps no addresses')
})

t.test('an accepted action\'s operation is kept only while the machine stands where its claim put it', async (t) => {
  const app = await buildTestApp(t)
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: await addSandboxBackend(app) } })
  const [row] = await insertMachines(app.db, [machineFromCloud(backend, found('op-1'), randomUUID(), 'vm')], { cause: 'provider_sync', detail: 'adopted' })
  const reboot = { machineId: row!.id, from: ['running'] as const, to: 'rebooting' as const, cause: 'api_action' as const, detail: 'reboot' }
  const first = await claim(app.db, reboot)
  t.ok(await recordOperation(app.db, first!.machine, 'op-first'), 'kept while the claim stands')
  // Before a second reboot's call returns, a pass settles the first and the second is claimed: rebooting, running, rebooting.
  await applyTransitions(app.db, [{ machineId: row!.id, from: 'rebooting', to: 'running', cause: 'api_action', fromLastTransition: first!.machine.lastTransition }])
  await new Promise((resolve) => setTimeout(resolve, 5))
  const second = await claim(app.db, reboot)
  t.notOk(await recordOperation(app.db, first!.machine, 'op-stale'), 'the first claim\'s operation does not land on the second')
  t.equal((await app.db.machine.findUniqueOrThrow({ where: { id: row!.id } })).operation, 'op-first')
  t.ok(await recordOperation(app.db, second!.machine, 'op-second'))
})
