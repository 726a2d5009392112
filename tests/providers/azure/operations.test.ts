import t, { type Test } from 'tap'
import { OPERATIONS_PER_PASS, syncBackend } from '../../../src/services/backend-sync.ts'
import { AzureFake } from '../../fakes/azure-fake.ts'
import { buildTestApp, json } from '../../helper.ts'

// Azure runs each action as a long-running operation. These drive the real SDK's pollers against
// the fake, one sync pass at a time: an API-only server runs no watch of its own to race them.
const OPTIONS = { cause: 'provider_sync' as const, staleGraceMs: 0, intentGraceMs: 60_000, machineKind: 'vm' }

async function setUp (t: Test, vms: number) {
  const fake = await new AzureFake().start()
  t.teardown(() => fake.close())
  fake.actionMs = 1000
  const app = await buildTestApp(t, {
    role: 'api',
    cloudEnv: { AZURE_AUTHORITY_HOST: fake.origin, AZURE_RESOURCE_MANAGER_URL: fake.origin, AZURE_PRICES_URL: `${fake.origin}/api/retail/prices` },
    providerRetries: 1,
    listingBudgetPercent: 50,
    providerRetryBaseDelayMs: 10
  })
  const principal = fake.principal()
  for (let i = 0; i < vms; i++) fake.addVm(principal.subscription_id, 'portal-rg', `vm-${i}`)
  const added = await app.inject({
    method: 'POST',
    url: '/backends',
    headers: { 'content-type': 'application/json' },
    payload: { title: 'azure', provider: 'azure', ...principal, resource_group: 'stratus-rg', region: 'westeurope' }
  })
  t.equal(added.statusCode, 201, added.body)
  const backendId = json(added.body).id as string
  const listed = await app.inject({ method: 'GET', url: `/backends/${backendId}/machines` })
  t.equal(json(listed.body).length, vms, 'adopted')
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const pass = async () => syncBackend(app.db, app.providers.driverFor(backend), backend, OPTIONS)
  // What the watch would wait before its next pass, by what the last one cost.
  const spacing = async () => app.providers.listingSpacingMs(await app.db.backend.findUniqueOrThrow({ where: { id: backendId } }))
  const act = async (machine: string, action: string) => {
    const answer = await app.inject({ method: 'POST', url: `/backends/${backendId}/machines/${machine}`, headers: { 'content-type': 'application/json' }, payload: { action } })
    t.equal(answer.statusCode, 202, answer.body)
  }
  const record = async (machine: string) => app.db.machine.findFirstOrThrow({ where: { backendId, providerId: machine }, include: { transitions: { orderBy: { id: 'asc' } } } })
  // The operations asked about since a point in the request log (an ended one is asked twice: its
  // status, then its result).
  const operationsAsked = (since: number) => new Set(fake.requests.slice(since).map((request) => /\/operations\/([^/?]+)/.exec(request.path)?.[1]).filter((id) => id !== undefined)).size
  return { app, fake, pass, act, record, operationsAsked, spacing }
}

t.test('a restart is done when its operation ends, not when the VM looks running (it does throughout)', async (t) => {
  const { fake, pass, act, record } = await setUp(t, 1)
  await act('portal-rg~vm-0', 'reboot')
  t.equal((await record('portal-rg~vm-0')).state, 'rebooting')
  await pass()
  await pass()
  const during = await record('portal-rg~vm-0')
  t.equal(during.state, 'rebooting', 'still rebooting while the operation runs')
  t.not(during.operation, null, 'the operation is kept on the machine')
  await new Promise((resolve) => setTimeout(resolve, fake.actionMs + 50))
  const ended = await pass()
  t.equal(ended.unsettled, 0)
  const after = await record('portal-rg~vm-0')
  t.equal(after.state, 'running', 'running once the operation has ended')
  t.equal(after.operation, null, 'and the operation is forgotten')
  t.same(after.transitions.map((row) => [row.toState, row.cause]), [['running', 'provider_sync'], ['rebooting', 'api_action'], ['running', 'provider_sync']])
})

t.test(`a pass looks at no more than ${OPERATIONS_PER_PASS} operations, and every one is looked at in time`, async (t) => {
  const count = OPERATIONS_PER_PASS + 10
  const { fake, pass, act, app, operationsAsked, spacing } = await setUp(t, count)
  for (let i = 0; i < count; i++) await act(`portal-rg~vm-${i}`, 'shutdown')
  await new Promise((resolve) => setTimeout(resolve, fake.actionMs + 50))
  const perPass: number[] = []
  for (let i = 0; i < 40 && (await app.db.machine.count({ where: { state: 'stopped', operation: null } })) < count; i++) {
    const before = fake.requests.length
    await pass()
    perPass.push(operationsAsked(before))
    if (i === 0) t.equal(await spacing(), 13_800, 'the operations count against the budget: 3 lists and 20 operations at half of 12,000 an hour space the next pass 13.8 s')
  }
  t.ok(perPass.every((calls) => calls <= OPERATIONS_PER_PASS), `operations looked at per pass: ${perPass.join(', ')}`)
  t.equal(await app.db.machine.count({ where: { state: 'stopped', operation: null } }), count, `all ${count} stopped and their operations ended, in ${perPass.length} passes`)
})

t.test('an operation that cannot be read leaves its machine to the listing, and is dropped once it has settled', async (t) => {
  const { fake, pass, act, record } = await setUp(t, 1)
  await act('portal-rg~vm-0', 'shutdown')
  fake.faults.add({ status: 500, times: 100, match: (request) => request.url.pathname.includes('/operations/') })
  await new Promise((resolve) => setTimeout(resolve, fake.actionMs + 50))
  await pass()
  const settled = await record('portal-rg~vm-0')
  t.equal(settled.state, 'stopped', 'the listing shows it deallocated: stopped')
  t.same(settled.transitions.at(-1)?.cause, 'provider_sync', 'an unreadable operation is not taken for a failed action')
  t.ok(fake.requests.filter((request) => request.path.includes('/operations/')).length >= 2, 'the read was retried')
  await pass()
  const after = await record('portal-rg~vm-0')
  t.equal(after.operation, null, 'the unread operation of a settled machine is forgotten')
})

t.test('an operation the cloud no longer knows (404) has ended: the listing tells how', async (t) => {
  const { fake, pass, act, record } = await setUp(t, 1)
  await act('portal-rg~vm-0', 'shutdown')
  fake.faults.add({ status: 404, times: 100, match: (request) => request.url.pathname.includes('/operations/') })
  await pass()
  const during = await record('portal-rg~vm-0')
  t.equal(during.operation, null, 'forgotten at once')
  t.equal(during.state, 'stopping', 'the instance view still says deallocating')
  await new Promise((resolve) => setTimeout(resolve, fake.actionMs + 50))
  await pass()
  t.equal((await record('portal-rg~vm-0')).state, 'stopped')
})

t.test('a create is followed to its end too: one that fails at the cloud shows why', async (t) => {
  const { app, fake, pass, record } = await setUp(t, 0)
  const backendId = (await app.db.backend.findFirstOrThrow()).id
  const key = json((await app.inject({ method: 'POST', url: '/keys', headers: { 'content-type': 'application/json' }, payload: { name: 'k' } })).body).id as string
  const create = async (name: string) => {
    const answer = await app.inject({
      method: 'POST',
      url: `/backends/${backendId}/machines`,
      headers: { 'content-type': 'application/json' },
      payload: { name, key, size: 'Standard_B1s', image: 'Canonical:ubuntu-24_04-lts:server:latest', location: 'westeurope' }
    })
    t.equal(answer.statusCode, 201, answer.body)
    return json(answer.body).id as string
  }
  fake.bootMs = 1000
  const made = await create('made')
  fake.failNextCreate = { code: 'AllocationFailed', message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.' }
  const refused = await create('refused')
  t.not((await record(made)).operation, null, 'the create\'s operation is kept on the machine')
  await new Promise((resolve) => setTimeout(resolve, fake.bootMs + 50))
  await pass()
  const ok = await record(made)
  t.same([ok.state, ok.operation], ['running', null], 'made: running, its operation ended')
  const failed = await record(refused)
  t.equal(failed.state, 'error', 'refused: provisioning failed')
  t.match(failed.transitions.map((row) => [row.toState, row.cause, row.detail]), [['pending', 'api_action', 'create'], ['error', 'action_failed', /^azure: AllocationFailed: Allocation failed/]],
    'recorded with Azure\'s reason')
  const listed = json((await app.inject({ method: 'GET', url: `/backends/${backendId}/machines` })).body) as Array<{ id: string, extra: Record<string, unknown> }>
  t.match(listed.find((machine) => machine.id === refused)?.extra.last_error, /^azure: AllocationFailed/, 'and shown with the machine, in extra.last_error')
  t.equal(listed.find((machine) => machine.id === made)?.extra.last_error, undefined, 'only where there is one')
})

t.test('a poller reference stored before references were versioned is read as version 0 and followed to its end', async (t) => {
  const { app, fake, pass, act, record } = await setUp(t, 1)
  await act('portal-rg~vm-0', 'reboot')
  const stored = (await record('portal-rg~vm-0')).operation!
  t.match(JSON.parse(stored), { v: 1, kind: 'azure-poller', data: { action: 'reboot' } }, 'references are written versioned')
  // As an older server wrote it: the bare {action, poller}.
  await app.db.machine.updateMany({ where: { providerId: 'portal-rg~vm-0' }, data: { operation: JSON.stringify(JSON.parse(stored).data) } })
  await pass()
  t.equal((await record('portal-rg~vm-0')).state, 'rebooting', 'read and followed: still rebooting while it runs')
  await new Promise((resolve) => setTimeout(resolve, fake.actionMs + 50))
  t.equal((await pass()).unsettled, 0)
  const after = await record('portal-rg~vm-0')
  t.equal(after.state, 'running')
  t.equal(after.operation, null, 'the legacy reference is forgotten once its operation has ended')
})
