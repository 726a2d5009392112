import t from 'tap'
import { syncBackend } from '../../../src/services/backend-sync.ts'
import { DigitalOceanFake } from '../../fakes/digitalocean-fake.ts'
import { buildTestApp, json } from '../../helper.ts'

// A droplet reads "active" for the whole of a shutdown, and still "active" after one the OS
// ignored: only the action (GET /v2/actions/{id}) tells the two apart. Sync passes are driven one
// at a time, with no stale grace at all; an API-only server runs no watch of its own to race them.
const OPTIONS = { cause: 'provider_sync' as const, staleGraceMs: 0, intentGraceMs: 60_000, machineKind: 'vm' }

t.test('a slow shutdown stays stopping while its action runs, and is stopped when it completes', async (t) => {
  const fake = await new DigitalOceanFake({ actionMs: 1000 }).start()
  t.teardown(() => fake.close())
  const token = 'dop_v1_' + 'f'.repeat(64)
  const droplet = String(fake.addDroplet(token).id)
  const app = await buildTestApp(t, { role: 'api', cloudEnv: { DIGITALOCEAN_API_URL: fake.url } })
  const added = await app.inject({ method: 'POST', url: '/backends', payload: { title: 'do', provider: 'digitalocean', token } })
  t.equal(added.statusCode, 201, added.body)
  const backendId = json(added.body).id as string
  t.equal(json((await app.inject({ method: 'GET', url: `/backends/${backendId}/machines` })).body).length, 1)
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const pass = async () => syncBackend(app.db, app.providers.driverFor(backend), backend, OPTIONS)
  const record = async () => app.db.machine.findFirstOrThrow({ where: { backendId, providerId: droplet }, include: { transitions: { orderBy: { id: 'asc' } } } })

  const stopped = await app.inject({ method: 'POST', url: `/backends/${backendId}/machines/${droplet}`, payload: { action: 'shutdown' } })
  t.equal(stopped.statusCode, 202, stopped.body)
  t.equal((await pass()).unsettled, 1)
  t.equal((await record()).state, 'stopping', 'the droplet reads active, but its shutdown is in progress: still stopping')
  t.ok(fake.requests.some((request) => request.path.startsWith('/v2/actions?')), 'the action was asked after (the account\'s latest actions)')
  await new Promise((resolve) => setTimeout(resolve, fake.actionMs + 50))
  t.equal((await pass()).unsettled, 0)
  const after = await record()
  t.equal(after.state, 'stopped')
  t.equal(after.operation, null, 'the completed action is forgotten')
  t.same(after.transitions.map((row) => [row.toState, row.cause]), [['running', 'provider_sync'], ['stopping', 'api_action'], ['stopped', 'provider_sync']])
})

t.test('an action reference stored before references were versioned is read as version 0 and followed to its end', async (t) => {
  const fake = await new DigitalOceanFake({ actionMs: 300 }).start()
  t.teardown(() => fake.close())
  const token = 'dop_v1_' + 'e'.repeat(64)
  const droplet = String(fake.addDroplet(token).id)
  const app = await buildTestApp(t, { role: 'api', cloudEnv: { DIGITALOCEAN_API_URL: fake.url } })
  const backendId = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'do', provider: 'digitalocean', token } })).body).id as string
  await app.inject({ method: 'GET', url: `/backends/${backendId}/machines` })
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const pass = async () => syncBackend(app.db, app.providers.driverFor(backend), backend, OPTIONS)
  t.equal((await app.inject({ method: 'POST', url: `/backends/${backendId}/machines/${droplet}`, payload: { action: 'shutdown' } })).statusCode, 202)
  const stored = (await app.db.machine.findFirstOrThrow({ where: { backendId } })).operation!
  t.match(JSON.parse(stored), { v: 1, kind: 'digitalocean-action', data: { type: 'shutdown' } }, 'references are written versioned')
  // As an older server wrote it: the bare {type, id}.
  await app.db.machine.updateMany({ where: { backendId }, data: { operation: JSON.stringify(JSON.parse(stored).data) } })
  t.equal((await pass()).unsettled, 1, 'read and followed: still stopping while it runs')
  await new Promise((resolve) => setTimeout(resolve, fake.actionMs + 50))
  t.equal((await pass()).unsettled, 0)
  const after = await app.db.machine.findFirstOrThrow({ where: { backendId } })
  t.equal(after.state, 'stopped')
  t.equal(after.operation, null, 'the legacy reference is forgotten once its action has completed')
})

t.test('a create that timed out is adopted by the next pass, not CREATE_RECOVERY_MS later (its request has given up)', async (t) => {
  const fake = await new DigitalOceanFake({ actionMs: 100 }).start()
  t.teardown(() => fake.close())
  const token = 'dop_v1_' + 'd'.repeat(64)
  fake.account(token)
  const app = await buildTestApp(t, { role: 'api', cloudEnv: { DIGITALOCEAN_API_URL: fake.url }, providerTimeoutMs: 400, providerRetries: 0 })
  const backendId = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'do', provider: 'digitalocean', token } })).body).id as string
  const key = json((await app.inject({ method: 'POST', url: '/keys', payload: { name: 'k' } })).body).id as string
  // The cloud makes the droplet, but its answer comes after the request has timed out.
  fake.faults.add({ status: -1, delayMs: 800, match: (request) => request.method === 'POST' && request.url.pathname === '/v2/droplets' })
  const created = await app.inject({ method: 'POST', url: `/backends/${backendId}/machines`, payload: { name: 'slow', key, image: 'debian-12-x64', location: 'nyc1', size: 's-1vcpu-1gb' } })
  t.equal(created.statusCode, 504, created.body)
  await new Promise((resolve) => setTimeout(resolve, 600))
  const intent = await app.db.machineIntent.findFirstOrThrow({ where: { backendId } })
  t.equal(intent.state, 'abandoned', 'the create\'s request has given up on it')
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  // CREATE_RECOVERY_MS is its default, 120 s: the pass does not wait for it.
  await syncBackend(app.db, app.providers.driverFor(backend), backend, { ...OPTIONS, intentGraceMs: 120_000 })
  const machines = await app.db.machine.findMany({ where: { backendId } })
  t.equal(machines.length, 1, 'adopted at the first pass')
  t.equal(machines[0]!.uuid, intent.uuid, 'as the create it was (our uuid), not as a foreign machine')
  t.equal(await app.db.machineIntent.count({ where: { backendId } }), 0)
})

t.test('the actions of many droplets are read from one page of the account\'s latest actions; one older than that page by its id', async (t) => {
  // Long enough that every action still runs at the second pass.
  const fake = await new DigitalOceanFake({ actionMs: 3000 }).start()
  t.teardown(() => fake.close())
  const token = 'dop_v1_' + 'c'.repeat(64)
  const droplets = Array.from({ length: 20 }, () => String(fake.addDroplet(token).id))
  const app = await buildTestApp(t, { role: 'api', cloudEnv: { DIGITALOCEAN_API_URL: fake.url }, listingBudgetPercent: 50 })
  const backendId = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'do', provider: 'digitalocean', token } })).body).id as string
  await app.inject({ method: 'GET', url: `/backends/${backendId}/machines` })
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const pass = async () => syncBackend(app.db, app.providers.driverFor(backend), backend, OPTIONS)
  for (const droplet of droplets) {
    t.equal((await app.inject({ method: 'POST', url: `/backends/${backendId}/machines/${droplet}`, payload: { action: 'shutdown' } })).statusCode, 202)
  }
  const since = fake.requests.length
  await pass()
  const asked = fake.requests.slice(since).map((request) => request.path)
  t.equal(asked.filter((path) => path.startsWith('/v2/actions?')).length, 1, 'one page of the latest actions')
  t.equal(asked.filter((path) => /^\/v2\/actions\/\d+/.test(path)).length, 0, 'no action read by its id')
  t.equal((await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })).listedOperations, 1, 'the budget counts one call, not 20')

  // Two hundred newer actions elsewhere push these off the first page: each is then read by its id.
  fake.addOtherActions(token, 200)
  const later = fake.requests.length
  await pass()
  const byId = fake.requests.slice(later).filter((request) => /^\/v2\/actions\/\d+/.test(request.path)).length
  t.equal(byId, 20, 'an action not on the page is read by its id')
  t.equal((await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })).listedOperations, 21, 'and counted against the budget')
  await new Promise((resolve) => setTimeout(resolve, fake.actionMs + 50))
  t.equal((await pass()).unsettled, 0)
  t.equal(await app.db.machine.count({ where: { backendId, state: 'stopped', operation: null } }), 20, 'all stopped, their actions forgotten')
})
