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
