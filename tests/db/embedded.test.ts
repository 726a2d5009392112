import t from 'tap'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../src/app.ts'
import { addKey, addSandboxBackend, authorize, createMachine, json, testConfig, waitForState } from '../helper.ts'

t.test('with no DATABASE_URL the server runs on embedded PGlite, and keeps its data', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-embedded-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = testConfig({ databaseUrl: undefined, secretKey: undefined, dataDir })

  const first = authorize(await buildApp(config))
  const backend = await addSandboxBackend(first)
  const machine = await createMachine(first, backend, await addKey(first), { name: 'embedded' })
  const active = await waitForState(first, machine.id, 'active')
  const xml = await first.inject({ method: 'GET', url: '/api/machine', headers: { accept: 'application/xml' } })
  t.match(xml.body, /<machines><machine><id>\d+<\/id>/)
  await first.close()

  const key = await stat(join(dataDir, 'secret.key'))
  t.equal(key.mode & 0o777, 0o600, 'the sealing key was created, readable by the owner only')

  const second = authorize(await buildApp(config))
  t.teardown(() => second.close())
  const again = json((await second.inject({ method: 'GET', url: `/api/machine/${machine.id}` })).body)
  t.equal(again.name, 'embedded')
  t.equal(again.adminPassword, active.adminPassword, 'secrets open with the kept key after a restart')
  const history = await second.db.transition.count({ where: { machineId: machine.id } })
  t.equal(history, 2)
})

t.test('DATABASE_URL without STRATUS_SECRET_KEY fails at start, clearly', async (t) => {
  await t.rejects(buildApp(testConfig({ databaseUrl: 'postgresql://postgres@127.0.0.1:5432/stratus_never_created', secretKey: undefined })), /STRATUS_SECRET_KEY is required/)
})

t.test('on the embedded database, jobs run in process and survive a restart with work in flight', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-embedded-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = testConfig({ databaseUrl: undefined, secretKey: undefined, dataDir, pollIntervalMs: 50 })

  const first = authorize(await buildApp(config))
  const backend = await addSandboxBackend(first, { boot_delay_ms: 0, stop_delay_ms: 1500 })
  const machine = await createMachine(first, backend, await addKey(first), { name: 'in-flight' })
  await waitForState(first, machine.id, 'active')
  t.equal((await first.inject({ method: 'POST', url: `/api/machine/${machine.id}/control`, payload: { action: 'stop' } })).statusCode, 204)
  const jobs = await first.db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'backend-watch' AND state IN ('created', 'active')`
  t.ok(jobs[0]!.n >= 1, 'the watch is a job in the embedded database')
  await first.close()

  const second = authorize(await buildApp(config))
  t.teardown(() => second.close())
  await second.ready()
  await waitForState(second, machine.id, 'inactive', 10_000)
  t.pass('the restarted server finished the stop that was in flight')
  const ready = await second.inject({ method: 'GET', url: '/ready' })
  t.match(json(ready.body), { status: 'ready', database: 'up', jobs: 'working' })
})

t.test('on the embedded database: schedules fire and act, costs, the forecast and closed months', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratus-embedded-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const app = authorize(await buildApp(testConfig({ databaseUrl: undefined, secretKey: undefined, dataDir, pollIntervalMs: 50 })))
  t.teardown(() => app.close())
  await app.ready()
  const backend = await addSandboxBackend(app, { boot_delay_ms: 0, stop_delay_ms: 0 })
  const machine = await createMachine(app, backend, await addKey(app), { name: 'scheduled' })
  await waitForState(app, machine.id, 'active')
  const at = new Date(Date.now() + 2000).toISOString()
  const schedule = json((await app.inject({ method: 'POST', url: '/api/schedules', payload: { name: 'once', action: 'stop', when: { type: 'one_off', at }, selector: { machine_ids: [machine.id] } } })).body)
  await waitForState(app, machine.id, 'inactive', 15_000)
  const runs = json((await app.inject({ method: 'GET', url: `/api/schedules/${schedule.id}/runs` })).body).runs
  t.match(runs, [{ fire_at: new Date(at).toISOString(), machines: [{ machine_id: machine.id, outcome: 'succeeded' }] }], 'the one_off ran, once')
  const history = json((await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/transitions` })).body).transitions
  t.match(history.at(-1), { to: 'inactive', provider_state: 'stopped' })

  // Two hours of October, a closed month, rolled up on PGlite.
  await app.db.transition.createMany({
    data: [
      { machineId: machine.id, fromState: 'stopped', toState: 'running', at: new Date('2026-10-10T00:00:00Z'), cause: 'provider_sync' },
      { machineId: machine.id, fromState: 'running', toState: 'stopped', at: new Date('2026-10-10T02:00:00Z'), cause: 'provider_sync' }
    ]
  })
  await app.db.machine.update({ where: { id: machine.id }, data: { createdAt: new Date('2026-10-01T00:00:00Z'), hourlyPrice: '0.500000', currency: 'USD' } })
  const october = json((await app.inject({ method: 'GET', url: '/api/costs?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z&group_by=backend' })).body)
  t.same(october.totals, [{ currency: 'USD', cost: '1.000000000' }])
  const machineOctober = json((await app.inject({ method: 'GET', url: `/api/machine/${machine.id}/cost?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z` })).body)
  t.same(machineOctober.totals, october.totals, "the machine's own answer, read in one statement on PGlite, is the report's")
  t.equal(await app.db.machineMonthCost.count(), 1, 'October rolled up')
  t.equal(json((await app.inject({ method: 'GET', url: '/api/costs/forecast' })).body).schedules, 0)
  t.equal((await app.inject({ method: 'GET', url: `/api/schedules/${schedule.id}/savings` })).statusCode, 200)
})
