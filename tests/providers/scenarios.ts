import type { Test } from 'tap'
import { loadConfig, type Config } from '../../src/config.ts'
import { buildTestApp, eventually } from '../helper.ts'
import { asStratus, startServer, type Stratus } from '../started-server.ts'
import { ApiClient, type Format } from './api-client.ts'
import type { ProviderHarness } from './harness.ts'

/** Where Stratus runs for the scenarios: in this process (inject), or as a started server over HTTP. */
export type Where = 'in-process' | 'started-server'

/** The scenarios' server settings: fast polls and retries, short timeouts, no periodic sync. */
const SCENARIO_ENV = {
  RATE_LIMIT_MAX: '1000000', POLL_INTERVAL_MS: '50', PROVIDER_RETRIES: '2', PROVIDER_RETRY_BASE_DELAY_MS: '20', PROVIDER_TIMEOUT_MS: '1500', CREATE_RECOVERY_MS: '400', SYNC_INTERVAL_MS: '0', LIST_FRESH_MS: '0', LISTING_BUDGET_PERCENT: '0'
}

/**
 * The shared scenario list: every provider (the simulator and each cloud's fake, through the
 * cloud's real SDK) is driven through the HTTP API with the same steps and the same expectations,
 * in JSON and in XML, in this process or against a started server (src/server.ts, configured only
 * by its environment, trusting the fakes' CA only through NODE_EXTRA_CA_CERTS). A new provider
 * gets them by writing a harness.
 */
export async function runScenarios (t: Test, harness: ProviderHarness, where: Where = 'in-process'): Promise<void> {
  t.teardown(() => harness.close())
  for (const format of ['json', 'xml'] as const) {
    await t.test(`${harness.provider} in ${format}, ${where}`, async (t) => scenarios(t, harness, format, await stratusFor(t, harness, where)))
  }
}

async function stratusFor (t: Test, harness: ProviderHarness, where: Where): Promise<Stratus> {
  const env = { ...SCENARIO_ENV, ...harness.env }
  if (where === 'started-server') return asStratus(t, await startServer(t, env))
  const app = await buildTestApp(t, configOf(env))
  return { db: app.db, inject: async (request) => app.inject({ ...request, method: request.method as 'GET' }) }
}

/** The settings these variables change, as the in-process app takes them (read as the server reads them). */
function configOf (env: Record<string, string>): Partial<Config> {
  const defaults = loadConfig({}) as unknown as Record<string, unknown>
  return Object.fromEntries(Object.entries(loadConfig(env)).filter(([name, value]) => value !== defaults[name])) as Partial<Config>
}

async function scenarios (t: Test, harness: ProviderHarness, format: Format, app: Stratus): Promise<void> {
  const api = new ApiClient(app, format)
  const key = JSON.parse((await app.inject({ method: 'POST', url: '/keys', headers: { 'content-type': 'application/json' }, payload: '{"name":"scenario key"}' })).body).id as string
  const backendOf = async (fields: Record<string, unknown>) => {
    const answer = await api.send('POST', '/backends', 'backend', { title: `${harness.provider} account`, provider: harness.provider, ...fields })
    if (answer.status !== 201) throw new Error(`backend: ${answer.status} ${answer.raw}`)
    return String(ApiClient.value(answer, 'backend').id)
  }
  const machineBody = (name: string) => ({ name, key, ...harness.machine })
  const stateOf = async (backend: string, id: string) => (await api.machines(backend)).find((machine) => machine.id === id)?.state
  const until = async (backend: string, id: string, state: string | undefined) => eventually(async () => (await stateOf(backend, id)) === state, 8000)

  await t.test('create, every action, tags, destroy: the cloud does each, the records follow', async (t) => {
    const cloud = await harness.account(app)
    const backend = await backendOf(cloud.fields)
    const created = await api.send('POST', `/backends/${backend}/machines`, 'machine', machineBody(`web-${format}-1`))
    t.equal(created.status, 201, created.raw)
    const id = String(ApiClient.value(created, 'machine').id)
    t.equal(await cloud.count(backend), 1, 'one machine at the cloud')
    await until(backend, id, 'running')
    const listed = (await api.machines(backend)).find((machine) => machine.id === id)!
    t.ok(listed.public_ips.length > 0, 'addresses that appear after boot are filled in')
    for (const [action, via, end] of [['shutdown', 'stopping', 'stopped'], ['start', 'starting', 'running'], ['reboot', 'rebooting', 'running']] as const) {
      const acted = await api.send('POST', `/backends/${backend}/machines/${id}`, 'action', { action })
      t.equal(acted.status, 202, `${action}: ${acted.raw}`)
      t.equal(ApiClient.value(acted, 'machine').state, via, `${action} records ${via} at once`)
      await until(backend, id, end)
    }
    t.ok(await eventually(async () => (await app.db.machine.findFirstOrThrow({ where: { backendId: backend, providerId: id } })).operation === null, 8000), 'no operation left to follow once settled')
    const tagged = await api.send('POST', `/backends/${backend}/machines/${id}/metadata`, 'tag', { tag: 'prod' })
    t.equal(tagged.status, 200, tagged.raw)
    if (harness.tagsAtCloud === false) {
      t.notOk((await cloud.tagsAt(backend, id)).includes('prod'), 'never claimed to be at the cloud, which cannot hold it')
      t.same((await api.machines(backend)).find((machine) => machine.id === id)?.tags, ['prod'], 'kept by Stratus and listed')
    } else t.same(await cloud.tagsAt(backend, id), ['prod'], 'the tag is the cloud\'s tag')
    const destroyed = await api.send('POST', `/backends/${backend}/machines/${id}`, 'action', { action: 'destroy' })
    t.equal(destroyed.status, 202, destroyed.raw)
    await until(backend, id, undefined)
    t.equal(await cloud.count(backend), 0, 'gone at the cloud')
    if (harness.leftovers !== undefined) t.same(await harness.leftovers(cloud), [], 'nothing Stratus made for it keeps billing')
    const transitions = await app.db.transition.findMany({ where: { machine: { providerId: id } }, orderBy: { id: 'asc' } })
    t.same(transitions.map((row) => row.toState), [...harness.createAnswersRunning === true ? [] : ['pending'], 'running', 'stopping', 'stopped', 'starting', 'running', 'rebooting', 'running', 'destroying', 'terminated'], 'every transition, in order')
  })

  await t.test('machines made, changed and deleted outside Stratus', async (t) => {
    const cloud = await harness.account(app)
    const backend = await backendOf(cloud.fields)
    const outside = await cloud.addOutside(backend, `console-${format}`)
    const [adopted] = await api.machines(backend)
    t.equal(adopted?.id, outside, 'adopted by the list')
    const record = await app.db.machine.findFirstOrThrow({ where: { backendId: backend, providerId: outside }, include: { backend: true, transitions: true } })
    t.equal(record.ownerId, record.backend.ownerId, 'owned by the backend\'s owner')
    t.match(record.transitions, [{ cause: 'provider_sync', toState: 'running' }])
    await cloud.stopOutside(backend, outside)
    t.equal(await stateOf(backend, outside), 'stopped', 'an out-of-band stop is seen by the sync')
    await cloud.removeOutside(backend, outside)
    t.equal((await api.machines(backend)).length, 1, 'missing from one listing: kept (a blip)')
    t.equal((await api.machines(backend)).length, 0, 'missing from two: destroyed')
    t.equal((await app.db.machine.findFirstOrThrow({ where: { id: record.id } })).state, 'terminated')
  })

  await t.test('credentials the cloud refuses are not stored', async (t) => {
    const cloud = await harness.account(app)
    const before = await app.db.backend.count()
    const refused = await api.send('POST', '/backends', 'backend', { title: 'bad', provider: harness.provider, ...harness.badCredentials(cloud.fields) })
    t.equal(refused.status, 422, refused.raw)
    t.match(refused.raw, /credentials-rejected/)
    t.equal(await app.db.backend.count(), before)
  })

  await t.test('a retried create with the same Idempotency-Key makes one machine', async (t) => {
    const cloud = await harness.account(app)
    const backend = await backendOf(cloud.fields)
    const headers = { 'idempotency-key': `create-${format}-1` }
    const first = await api.send('POST', `/backends/${backend}/machines`, 'machine', machineBody(`idem-${format}`), headers)
    const again = await api.send('POST', `/backends/${backend}/machines`, 'machine', machineBody(`idem-${format}`), headers)
    t.equal(first.status, 201, first.raw)
    t.equal(again.status, 201)
    t.equal(again.raw, first.raw, 'the first answer, again')
    t.equal(again.headers.location, first.headers.location)
    t.equal(await cloud.count(backend), 1, 'one machine at the cloud')
    const other = await api.send('POST', `/backends/${backend}/machines`, 'machine', machineBody(`other-${format}`), headers)
    t.equal(other.status, 422, 'the same key with another body')
  })

  const faults = harness.faults
  if (faults !== undefined) {
    await t.test('a cloud that throttles, fails, hangs or refuses the credentials', async (t) => {
      const cloud = await harness.account(app)
      const backend = await backendOf(cloud.fields)
      await api.machines(backend)
      faults.fail(cloud, 429, 1, { 'retry-after': '1' })
      const started = Date.now()
      t.equal((await api.send('GET', `/backends/${backend}/machines`)).status, 200, '429 then success')
      t.ok(Date.now() - started >= 900, 'Retry-After was honoured')
      // Enough for every attempt of every listing the provider makes for one list (Azure: three).
      faults.fail(cloud, 500, 30)
      const failing = await api.send('GET', `/backends/${backend}/machines`)
      t.equal(failing.status, 502, '500s until the retries are spent')
      // A request already on the wire when the listing failed may still arrive: let it, before
      // the next fault (tests/providers/azure/listing.test.ts: nothing is retried behind the answer).
      await new Promise((resolve) => setTimeout(resolve, 300))
      faults.clear()
      faults.fail(cloud, 0, 1)
      const hung = await api.send('GET', `/backends/${backend}/machines`)
      t.equal(hung.status, 504, `a silent cloud is a timeout: ${hung.raw}`)
      faults.clear()
      faults.fail(cloud, 401, 1)
      const rejected = await api.send('GET', `/backends/${backend}/machines`)
      t.equal(rejected.status, 502)
      t.match(rejected.raw, /provider-credentials-rejected/)
      const marked = await api.send('GET', `/backends/${backend}`)
      t.equal(ApiClient.value(marked, 'backend').credentials_status, 'rejected', 'the backend shows its credentials failing')
      t.equal((await api.send('GET', `/backends/${backend}/machines`)).status, 200)
      t.equal(ApiClient.value(await api.send('GET', `/backends/${backend}`), 'backend').credentials_status, 'ok', 'and working again')
    })

    await t.test('an action the cloud refuses records no transition', async (t) => {
      const cloud = await harness.account(app)
      const backend = await backendOf(cloud.fields)
      const id = await cloud.addOutside(backend, `refuse-${format}`)
      await api.machines(backend)
      faults.fail(cloud, 400, 1)
      const refused = await api.send('POST', `/backends/${backend}/machines/${id}`, 'action', { action: 'shutdown' })
      t.equal(refused.status, 422, refused.raw)
      const record = await app.db.machine.findFirstOrThrow({ where: { backendId: backend, providerId: id }, include: { transitions: { orderBy: { id: 'asc' } } } })
      t.equal(record.state, 'running')
      t.same(record.transitions.map((row) => [row.toState, row.cause]), [['running', 'provider_sync']], 'nothing happened to the machine: no claim, no rollback in its history')
      t.equal(record.lastTransition.getTime(), record.transitions[0]!.at.getTime(), 'its lastTransition has not moved')
      t.match(record.lastError, /^shutdown: /, 'the refusal is its last_error')
    })

    const failNextOperation = faults.failNextOperation
    if (failNextOperation !== undefined) {
      await t.test('an action whose long-running operation fails at the cloud is rolled back with the cloud\'s reason', async (t) => {
        const cloud = await harness.account(app)
        const backend = await backendOf(cloud.fields)
        const id = await cloud.addOutside(backend, `failing-${format}`)
        await api.machines(backend)
        await cloud.stopOutside(backend, id)
        t.equal(await stateOf(backend, id), 'stopped')
        const reason = failNextOperation(cloud)
        const started = await api.send('POST', `/backends/${backend}/machines/${id}`, 'action', { action: 'start' })
        t.equal(started.status, 202, 'the cloud accepts the action')
        t.equal(ApiClient.value(started, 'machine').state, 'starting')
        await until(backend, id, 'stopped')
        const record = await app.db.machine.findFirstOrThrow({ where: { backendId: backend, providerId: id }, include: { transitions: { orderBy: { id: 'asc' } } } })
        t.match(record.transitions.slice(-2).map((row) => [row.toState, row.cause, row.detail]), [['starting', 'api_action', 'start'], ['stopped', 'action_failed', reason]],
          'followed to its end: the failure and the cloud\'s reason are recorded')
        t.equal(record.operation, null, 'the ended operation is forgotten')
        const shown = (await api.machines(backend)).find((machine) => machine.id === id)!
        t.match(shown.last_error, reason, 'the machine shows why (last_error)')
        const retried = await api.send('POST', `/backends/${backend}/machines/${id}`, 'action', { action: 'start' })
        t.equal(retried.status, 202, retried.raw)
        t.equal((await api.machines(backend)).find((machine) => machine.id === id)!.last_error, null, 'until another action is accepted')
      })
    }

    await t.test('a create the cloud did not answer is found by the sync and answered to the retry', async (t) => {
      const cloud = await harness.account(app)
      const backend = await backendOf(cloud.fields)
      await api.machines(backend)
      const headers = { 'idempotency-key': `lost-${format}` }
      // The create reaches the cloud, but its answer is lost (the cloud answers too late).
      faults.loseCreateAnswer(cloud, 2500)
      const lost = await api.send('POST', `/backends/${backend}/machines`, 'machine', machineBody(`lost-${format}`), headers)
      t.equal(lost.status, 504, lost.raw)
      const retried = await eventually(async () => {
        const answer = await api.send('POST', `/backends/${backend}/machines`, 'machine', machineBody(`lost-${format}`), headers)
        if (answer.status !== 201) await api.machines(backend)
        return answer.status === 201 ? answer : undefined
      }, 8000)
      t.equal(retried.status, 201)
      t.equal(await cloud.count(backend), 1, 'one machine, recorded, not two')
    })
  }

  const paging = harness.paging
  if (paging !== undefined) {
    await t.test('every page of a long listing', async (t) => {
      const cloud = await harness.account(app)
      const backend = await backendOf(cloud.fields)
      const count = paging.pageSize * 2 + 7
      await paging.addMany(cloud, count)
      t.equal((await api.machines(backend)).length, count)
    })
  }
}
