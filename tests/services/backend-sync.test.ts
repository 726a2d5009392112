import t from 'tap'
import { syncBackend } from '../../src/services/backend-sync.ts'
import type { ProviderDriver } from '../../src/providers/driver.ts'
import { addKey, addSandboxBackend, buildTestApp, createMachine } from '../helper.ts'

const OPTIONS = { cause: 'provider_sync' as const, staleGraceMs: 0, intentGraceMs: 60_000, machineKind: 'vm' }

t.test('a machine created while a pass lists the cloud is not taken for one the cloud lost', async (t) => {
  const app = await buildTestApp(t, { pollIntervalMs: 60_000 })
  const backendId = await addSandboxBackend(app, { boot_delay_ms: 0 })
  const key = await addKey(app)
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const sandbox = app.providers.driverFor(backend)
  let created: { id: number } | undefined
  // The real sandbox, with a create through the API landing just after its list was taken.
  const racing: ProviderDriver = Object.assign(Object.create(sandbox) as ProviderDriver, {
    listMachines: async () => {
      const listed = await sandbox.listMachines()
      created = await createMachine(app, backendId, key, { name: 'just-created' })
      return listed
    }
  })
  await syncBackend(app.db, racing, backend, OPTIONS)
  const row = await app.db.machine.findUniqueOrThrow({ where: { id: created!.id } })
  t.not(row.state, 'terminated', 'the new machine stands')
  t.equal(await app.db.transition.count({ where: { machineId: created!.id, toState: 'terminated' } }), 0)
})

t.test('one pass moves many machines in one statement, each with its history row, and writes nothing when nothing changed', async (t) => {
  const app = await buildTestApp(t, { pollIntervalMs: 60_000 })
  const backendId = await addSandboxBackend(app, { boot_delay_ms: 0 })
  const key = await addKey(app)
  const ids = []
  for (let i = 0; i < 5; i++) ids.push((await createMachine(app, backendId, key, { name: `m${i}` })).id)
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const driver = app.providers.driverFor(backend)
  const first = await syncBackend(app.db, driver, backend, OPTIONS)
  t.same(first.machines.map((m) => m.state), Array(5).fill('running'))
  t.equal(first.unsettled, 0)
  t.equal(await app.db.transition.count({ where: { machineId: { in: ids }, toState: 'running' } }), 5, 'one history row each')
  const written = (await app.db.machine.aggregate({ _max: { updatedAt: true } }))._max.updatedAt
  await syncBackend(app.db, driver, backend, OPTIONS)
  t.same((await app.db.machine.aggregate({ _max: { updatedAt: true } }))._max.updatedAt, written, 'a second pass writes nothing')
  await app.db.sandboxInstance.deleteMany({ where: { account: backendId } })
  const blip = await syncBackend(app.db, driver, backend, OPTIONS)
  t.equal(blip.machines.length, 5, 'missing from one listing is not gone (a blip)')
  t.equal(await app.db.machine.count({ where: { id: { in: ids }, missingPasses: 1, state: 'running' } }), 5)
  const gone = await syncBackend(app.db, driver, backend, OPTIONS)
  t.same(gone.machines, [], 'missing from two listings in a row is gone')
  t.equal(await app.db.machine.count({ where: { id: { in: ids }, state: 'terminated', destroyedAt: { not: null } } }), 5)
})

t.test('a watch queued by one machine\'s action does not lend its cause to another machine that moved at the cloud', async (t) => {
  const app = await buildTestApp(t, { pollIntervalMs: 60_000, role: 'api' })
  const backendId = await addSandboxBackend(app, { boot_delay_ms: 0, stop_delay_ms: 0 })
  const key = await addKey(app)
  const acted = await createMachine(app, backendId, key, { name: 'acted' })
  const other = await createMachine(app, backendId, key, { name: 'other' })
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const driver = app.providers.driverFor(backend)
  await syncBackend(app.db, driver, backend, OPTIONS)
  await app.db.machine.update({ where: { id: other.id }, data: { lastError: 'reboot: refused earlier' } })
  t.equal((await app.inject({ method: 'POST', url: `/api/machine/${acted.id}/control`, payload: { action: 'stop' } })).statusCode, 204)
  // Meanwhile someone stops the other machine at the cloud's console.
  await app.db.sandboxInstance.update({ where: { id: other.providerId }, data: { state: 'stopped', target: 'stopped' } })
  await syncBackend(app.db, driver, backend, { ...OPTIONS, cause: 'api_action' })
  const last = async (id: number) => app.db.transition.findFirstOrThrow({ where: { machineId: id }, orderBy: { id: 'desc' } })
  t.match(await last(acted.id), { toState: 'stopped', cause: 'api_action' }, 'the action\'s machine settles under the watch\'s cause')
  t.match(await last(other.id), { fromState: 'running', toState: 'stopped', cause: 'provider_sync' }, 'the other moved by itself: provider_sync')
  t.equal((await app.db.machine.findUniqueOrThrow({ where: { id: other.id } })).lastError, 'reboot: refused earlier', 'and keeps its last_error')
})

t.test('a listing that went stale while another pass settled the machine writes nothing: the machine moved since it was read (A, B, A)', async (t) => {
  const app = await buildTestApp(t, { pollIntervalMs: 60_000, role: 'api' })
  const backendId = await addSandboxBackend(app, { boot_delay_ms: 60_000 })
  const key = await addKey(app)
  const machine = await createMachine(app, backendId, key, { name: 'rebooted' })
  await app.db.sandboxInstance.update({ where: { id: machine.providerId }, data: { state: 'running', target: null, settlesAt: null } })
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const sandbox = app.providers.driverFor(backend)
  await syncBackend(app.db, sandbox, backend, OPTIONS)
  // This pass reads the record (running), then lists while a reboot is under way; before it
  // writes, the reboot ends and another pass records the machine running again.
  const slow: ProviderDriver = Object.assign(Object.create(sandbox) as ProviderDriver, {
    listMachines: async () => {
      t.equal((await app.inject({ method: 'POST', url: `/backends/${backendId}/machines/${machine.providerId}`, payload: { action: 'reboot' } })).statusCode, 202)
      const listed = await sandbox.listMachines()
      await app.db.sandboxInstance.update({ where: { id: machine.providerId }, data: { state: 'running', target: null, settlesAt: null } })
      await syncBackend(app.db, sandbox, backend, OPTIONS)
      return listed
    }
  })
  const result = await syncBackend(app.db, slow, backend, OPTIONS)
  const history = await app.db.transition.findMany({ where: { machineId: machine.id }, orderBy: { id: 'asc' } })
  t.same(history.map((row) => row.toState), ['pending', 'running', 'rebooting', 'running'], 'one reboot, once')
  t.equal((await app.db.machine.findUniqueOrThrow({ where: { id: machine.id } })).state, 'running')
  t.same(result.machines.map((row) => row.state), ['running'], 'the pass answers the machine as it now stands')
})
