import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { addKey, addSandboxBackend, authorize, buildTestApp, createMachine, createTestDatabase, eventually, json, testConfig, waitForState } from '../helper.ts'

t.test('machines left pending or stopping by a restart are reconciled, never stuck', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  // A slow poll: the first server stops before it has seen any machine settle.
  const first = authorize(await buildApp(testConfig({ databaseUrl: database.url, pollIntervalMs: 60_000 })))
  const backend = await addSandboxBackend(first, { boot_delay_ms: 50, stop_delay_ms: 50 })
  const key = await addKey(first)
  const booting = await createMachine(first, backend, key, { name: 'booting' })
  const stopping = await createMachine(first, backend, key, { name: 'stopping' })
  // Its record says running at once; the sandbox refuses a stop until the boot delay has passed (Node 24 gets here sooner).
  await first.db.machine.update({ where: { id: stopping.id }, data: { state: 'running' } })
  await eventually(async () => (await first.db.sandboxInstance.findUniqueOrThrow({ where: { id: stopping.providerId } })).settlesAt!.getTime() < Date.now())
  await first.inject({ method: 'POST', url: `/api/machine/${stopping.id}/control`, payload: { action: 'stop' } })
  t.equal(json((await first.inject({ method: 'GET', url: `/api/machine/${booting.id}` })).body).state, 'pending')
  t.equal(json((await first.inject({ method: 'GET', url: `/api/machine/${stopping.id}` })).body).state, 'stopping')
  await first.close()

  await new Promise((resolve) => setTimeout(resolve, 100))
  const second = authorize(await buildApp(testConfig({ databaseUrl: database.url })))
  await second.ready()
  await waitForState(second, booting.id, 'active')
  await waitForState(second, stopping.id, 'inactive')
  // The first server handed its running watch over as a job when it closed; the second took it up.
  const settled = await second.db.transition.findMany({ where: { machineId: { in: [booting.id, stopping.id] }, toState: { in: ['running', 'stopped'] } }, orderBy: { id: 'asc' } })
  t.same(settled.map((c) => `${c.machineId}:${c.fromState}>${c.toState}:${c.cause}`).sort(), [`${booting.id}:pending>running:api_action`, `${stopping.id}:stopping>stopped:api_action`].sort())
  await second.close()
})

t.test('the sandbox\'s own state survives a restart', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const first = authorize(await buildApp(testConfig({ databaseUrl: database.url })))
  const backend = await addSandboxBackend(first)
  const machine = await createMachine(first, backend, await addKey(first))
  await waitForState(first, machine.id, 'active')
  await first.close()

  const second = authorize(await buildApp(testConfig({ databaseUrl: database.url })))
  const [listed] = json((await second.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body)
  t.match(listed, { id: machine.providerId, state: 'running' })
  t.equal(await second.db.transition.count({ where: { cause: 'provider_sync' } }), 0, 'nothing changed, nothing recorded')
  await second.close()
})

t.test('a change made at the provider behind our back is picked up by the list', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const machine = await createMachine(app, backend, await addKey(app))
  await waitForState(app, machine.id, 'active')
  await app.db.sandboxInstance.update({ where: { id: machine.providerId }, data: { state: 'stopped' } })
  const [listed] = json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body)
  t.equal(listed.state, 'stopped')
  const last = await app.db.transition.findFirstOrThrow({ where: { machineId: machine.id }, orderBy: { id: 'desc' } })
  t.match(last, { fromState: 'running', toState: 'stopped', cause: 'provider_sync' })

  await app.db.sandboxInstance.delete({ where: { id: machine.providerId } })
  t.equal(json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body).length, 1, 'missing from one listing: maybe a blip')
  t.same(json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body), [], 'missing from two in a row: gone')
  t.equal(json((await app.inject({ method: 'GET', url: `/api/machine/${machine.id}` })).body).state, 'destroyed')
})
