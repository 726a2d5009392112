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
  const app = await buildTestApp(t, { role: 'api', digitaloceanApiUrl: fake.url })
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
  t.ok(fake.requests.some((request) => /^\/v2\/actions\/\d+$/.test(request.path)), 'the action was asked after')
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
  const app = await buildTestApp(t, { role: 'api', digitaloceanApiUrl: fake.url })
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
