import t from 'tap'
import { XMLParser } from 'fast-xml-parser'
import { toXml } from '../../src/xml/encode.ts'
import { createXmlReader } from '../../src/xml/decode.ts'
import { Schedule, ScheduleCreateBody } from '../../src/schemas/schedule.ts'
import { addKey, addSandboxBackend, buildTestApp, createMachine, createUser, eventually, json, waitForState } from '../helper.ts'

// Schedules through the API on one server (a worker): their rules, their fires, their runs.
const app = await buildTestApp(t, { pollIntervalMs: 50 })
const backend = await addSandboxBackend(app)
const key = await addKey(app)

const post = async (body: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/schedules', payload: body })
const runsOf = async (id: string) => json((await app.inject({ method: 'GET', url: `/api/schedules/${id}/runs` })).body).runs
const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString()
const nightly = { name: 'nightly stop', action: 'stop', when: { type: 'cron', expression: '0 20 * * 1-5', timezone: 'Europe/Athens' }, selector: { tags: { include: ['dev'] } } }

async function taggedMachines (count: number, tag: string): Promise<number[]> {
  const ids: number[] = []
  for (let i = 0; i < count; i++) ids.push((await createMachine(app, backend, key, { name: `${tag}-${i}` })).id)
  await app.db.machine.updateMany({ where: { id: { in: ids } }, data: { tags: [tag] } })
  for (const id of ids) await waitForState(app, id, 'active')
  return ids
}

t.test('create, read, change, delete; the next fire is the cron\'s in its zone', async (t) => {
  const created = await post(nightly)
  t.equal(created.statusCode, 201, created.body)
  const schedule = json(created.body)
  t.equal(created.headers.location, `/api/schedules/${schedule.id}`)
  t.match(schedule, { action: 'stop', enabled: true, misfire_grace_s: 300, run_count: 0, max_machines: null })
  const next = new Date(schedule.next_fire_at)
  t.ok(next > new Date(), 'in the future')
  t.equal(new Intl.DateTimeFormat('en', { timeZone: 'Europe/Athens', hour: 'numeric', hourCycle: 'h23' }).format(next), '20', '20:00 in Athens')
  t.same(json((await app.inject({ method: 'GET', url: `/api/schedules/${schedule.id}` })).body), schedule)
  t.ok(json((await app.inject({ method: 'GET', url: '/api/schedules' })).body).schedules.some((entry: { id: string }) => entry.id === schedule.id))

  const disabled = json((await app.inject({ method: 'PATCH', url: `/api/schedules/${schedule.id}`, payload: { enabled: false } })).body)
  t.equal(disabled.next_fire_at, null, 'a disabled schedule has no next fire')
  const enabled = json((await app.inject({ method: 'PATCH', url: `/api/schedules/${schedule.id}`, payload: { enabled: true, name: 'renamed' } })).body)
  t.equal(enabled.next_fire_at, schedule.next_fire_at)
  t.equal(enabled.name, 'renamed')

  const other = await createUser(app, 'schedule-stranger')
  t.equal((await other.inject({ method: 'GET', url: `/api/schedules/${schedule.id}` })).statusCode, 404, 'another user\'s schedule is not found')
  t.equal((await other.inject({ method: 'DELETE', url: `/api/schedules/${schedule.id}` })).statusCode, 404)
  t.same(json((await other.inject({ method: 'GET', url: '/api/schedules' })).body).schedules, [])

  t.equal((await app.inject({ method: 'DELETE', url: `/api/schedules/${schedule.id}` })).statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: `/api/schedules/${schedule.id}` })).statusCode, 404)
})

t.test('what a schedule must be: each refusal names its field', async (t) => {
  const refused = async (body: Record<string, unknown>, status: number, pointer: string | RegExp) => {
    const res = await post(body)
    t.equal(res.statusCode, status, `${JSON.stringify(body)}: ${res.body}`)
    t.match(json(res.body).errors?.map((error: { pointer: string }) => error.pointer).join(' '), pointer)
  }
  await refused({ ...nightly, when: { type: 'cron', expression: '0 0 20 * * 1' } }, 422, '/body/when/expression')
  await refused({ ...nightly, when: { type: 'cron', expression: '61 20 * * *' } }, 422, '/body/when/expression')
  await refused({ ...nightly, when: { type: 'cron', expression: '0 20 * * *', timezone: 'Mars/Olympus' } }, 422, '/body/when/timezone')
  await refused({ ...nightly, when: { type: 'one_off', at: '2020-01-01T00:00:00Z' } }, 422, '/body/when/at')
  await refused({ ...nightly, when: { type: 'interval', every: 0, period: 'hours' } }, 400, /when/)
  await refused({ ...nightly, when: { type: 'interval', every: 2, period: 'weeks' } }, 400, /when/)
  await refused({ ...nightly, action: 'destroy' }, 422, /\/body\/confirm.*\/body\/max_machines/)
  await refused({ ...nightly, start_after: '2030-01-02T00:00:00Z', expires: '2030-01-01T00:00:00Z' }, 422, '/body/expires')
  await refused({ ...nightly, selector: { tags: {} } }, 422, '/body/selector/tags/include')
  await refused({ ...nightly, selector: { machine_ids: [999999] } }, 422, '/body/selector/machine_ids')
  await refused({ ...nightly, selector: { tags: { include: ['dev'] }, backend_id: 'nosuchbackend' } }, 422, '/body/selector/backend_id')
  t.equal(await app.db.schedule.count({ where: { name: nightly.name } }), 0, 'nothing refused was kept')
})

t.test('run now: each machine\'s outcome, an invalid action skipped with its reason; history says schedule', async (t) => {
  const [first, second, third] = await taggedMachines(3, 'office')
  await app.inject({ method: 'POST', url: `/api/machine/${third}/control`, payload: { action: 'stop' } })
  await waitForState(app, third!, 'inactive')
  const schedule = json((await post({ name: 'office off', action: 'stop', when: { type: 'cron', expression: '0 19 * * *' }, selector: { tags: { include: ['office'] } } })).body)
  const started = await app.inject({ method: 'POST', url: `/api/schedules/${schedule.id}/run` })
  t.equal(started.statusCode, 202, started.body)
  t.equal(json(started.body).manual, true)
  const run = await eventually(async () => {
    const [latest] = await runsOf(schedule.id)
    return latest.status === 'running' ? undefined : latest
  })
  t.equal(run.status, 'succeeded')
  t.same(run.machines.map((machine: { machine_id: number, outcome: string }) => [machine.machine_id, machine.outcome]), [[first, 'succeeded'], [second, 'succeeded'], [third, 'skipped']])
  t.match(run.machines[2].detail, /cannot stop a machine that is stopped/)
  for (const id of [first!, second!]) await waitForState(app, id, 'inactive')
  const history = json((await app.inject({ method: 'GET', url: `/api/machine/${first}/transitions` })).body).transitions
  t.match(history.find((entry: { to: string }) => entry.to === 'stopping'), { cause: 'schedule', detail: 'shutdown' })
  const after = json((await app.inject({ method: 'GET', url: `/api/schedules/${schedule.id}` })).body)
  t.equal(after.run_count, 0, 'a run now is not one of the schedule\'s fires')
  t.equal(after.next_fire_at, schedule.next_fire_at)
})

t.test('an action taken up again after its outcome was written (its server died before the run\'s end check) ends the run', async (t) => {
  const [machine] = await taggedMachines(1, 'retried')
  const schedule = json((await post({ name: 'retried', action: 'stop', when: { type: 'cron', expression: '0 19 * * *' }, selector: { machine_ids: [machine] } })).body)
  await app.inject({ method: 'POST', url: `/api/schedules/${schedule.id}/run` })
  const run = await eventually(async () => {
    const [latest] = await runsOf(schedule.id)
    return latest.status === 'succeeded' ? latest : undefined
  })
  // The run as a server leaves it that died between writing the machine's outcome and ending the run.
  await app.db.scheduleRun.update({ where: { id: BigInt(run.id) }, data: { status: 'running', finishedAt: null } })
  await app.scheduleRunner.act({ runId: run.id, machineId: machine!, action: 'stop' })
  const [ended] = await runsOf(schedule.id)
  t.match(ended, { id: run.id, status: 'succeeded', machines: [{ machine_id: machine, outcome: 'succeeded' }] })
  t.equal(await app.db.transition.count({ where: { machineId: machine!, cause: 'schedule' } }), 1, 'the machine was not acted on again')
})

t.test('a one_off fires once at its time, then has no next fire', async (t) => {
  const [machine] = await taggedMachines(1, 'once')
  const at = inSeconds(2)
  const schedule = json((await post({ name: 'once', action: 'reboot', when: { type: 'one_off', at }, selector: { machine_ids: [machine] } })).body)
  t.equal(schedule.next_fire_at, new Date(at).toISOString())
  const run = await eventually(async () => {
    const [latest] = await runsOf(schedule.id)
    return latest?.status === 'succeeded' ? latest : undefined
  }, 10_000)
  t.equal(run.fire_at, new Date(at).toISOString())
  t.ok(run.lateness_ms < 5000, `late by ${run.lateness_ms} ms`)
  const done = json((await app.inject({ method: 'GET', url: `/api/schedules/${schedule.id}` })).body)
  t.match(done, { run_count: 1, next_fire_at: null })
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.equal((await runsOf(schedule.id)).length, 1, 'one_off means one run')
})

t.test('destroy: more machines than max_machines does nothing and says so', async (t) => {
  const ids = await taggedMachines(3, 'doomed')
  const body = { name: 'cleanup', action: 'destroy', confirm: 'destroy', max_machines: 2, when: { type: 'cron', expression: '0 3 * * *' }, selector: { tags: { include: ['doomed'] } } }
  const schedule = json((await post(body)).body)
  await app.inject({ method: 'POST', url: `/api/schedules/${schedule.id}/run` })
  const [run] = await runsOf(schedule.id)
  t.match(run, { status: 'failed', detail: /matched 3 machines, more than max_machines 2: nothing done/, machines: [] })
  t.equal(await app.db.machine.count({ where: { id: { in: ids }, state: 'running' } }), 3, 'all still running')
  const refused = await app.inject({ method: 'PATCH', url: `/api/schedules/${schedule.id}`, payload: { max_machines: 3 } })
  t.equal(refused.statusCode, 422, 'a destroy schedule\'s change confirms again')
  t.equal((await app.inject({ method: 'PATCH', url: `/api/schedules/${schedule.id}`, payload: { max_machines: 3, confirm: 'destroy' } })).statusCode, 200)
  await app.inject({ method: 'POST', url: `/api/schedules/${schedule.id}/run` })
  const destroyed = await eventually(async () => {
    const [latest] = await runsOf(schedule.id)
    return latest.status === 'succeeded' ? latest : undefined
  })
  t.equal(destroyed.machines.length, 3)
})

t.test('late fires: within the grace one late run, beyond it missed; a backlog is one run', async (t) => {
  const [machine] = await taggedMachines(1, 'late')
  const make = async (grace: number) => json((await post({
    name: `late ${grace}`, action: 'reboot', misfire_grace_s: grace, when: { type: 'cron', expression: '* * * * *' }, selector: { machine_ids: [machine] }
  })).body).id as string
  // As if every server had been down: the schedule's next fire is 10.5 minutes ago.
  const down = async (id: string) => {
    const due = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000)
    await app.db.schedule.update({ where: { id }, data: { nextFireAt: due } })
    await app.scheduleRunner.fire(id, due)
    return due
  }
  const lenient = await make(3600)
  const due = await down(lenient)
  const [late] = await runsOf(lenient)
  t.match(late, { detail: /11 fires due since .* coalesced into this one/ })
  t.ok(Date.parse(late.fire_at) > due.getTime(), 'the run is the latest fire of the backlog')
  t.ok(late.lateness_ms < 60_000)

  const strict = await make(0)
  // The latest fire of the backlog is this minute's: wait until it is over a second late.
  await new Promise((resolve) => setTimeout(resolve, 1100))
  await down(strict)
  const [missed] = await runsOf(strict)
  t.match(missed, { status: 'missed', detail: /beyond misfire_grace_s 0: nothing done/, machines: [] })
  t.equal(json((await app.inject({ method: 'GET', url: `/api/schedules/${strict}` })).body).run_count, 0, 'a missed fire is not a run')
  t.ok(Date.parse(json((await app.inject({ method: 'GET', url: `/api/schedules/${strict}` })).body).next_fire_at) > Date.now(), 'moved on to the next fire')

  // The same fire again (another server's job, a restart): nothing more.
  await app.scheduleRunner.fire(strict, due)
  t.equal((await runsOf(strict)).length, 1)
})

t.test('max_run_count, start_after and expires bound the fires', async (t) => {
  const [machine] = await taggedMachines(1, 'bounded')
  const base = { action: 'reboot', selector: { machine_ids: [machine] } }
  const counted = json((await post({ ...base, name: 'twice', max_run_count: 2, when: { type: 'interval', every: 1, period: 'minutes' } })).body)
  for (let i = 0; i < 2; i++) {
    const row = await app.db.schedule.findUniqueOrThrow({ where: { id: counted.id } })
    await app.scheduleRunner.fire(counted.id, row.nextFireAt!)
  }
  t.match(json((await app.inject({ method: 'GET', url: `/api/schedules/${counted.id}` })).body), { run_count: 2, next_fire_at: null }, 'no fire after the second run')

  const startAfter = '2031-06-01T10:00:00.000Z'
  const later = json((await post({ ...base, name: 'later', start_after: startAfter, when: { type: 'interval', every: 2, period: 'hours' } })).body)
  t.equal(later.next_fire_at, '2031-06-01T12:00:00.000Z', 'an interval counts from start_after')
  const cron = json((await post({ ...base, name: 'from june', start_after: startAfter, when: { type: 'cron', expression: '0 9 * * *' } })).body)
  t.equal(cron.next_fire_at, '2031-06-02T09:00:00.000Z', 'no fire before start_after')
  const expired = json((await post({ ...base, name: 'expired', expires: inSeconds(30), when: { type: 'cron', expression: '0 9 1 1 *' } })).body)
  t.equal(expired.next_fire_at, null, 'no fire after expires')
})

t.test('preview: daylight-saving changes in Europe/Athens shown with their offsets', async (t) => {
  const spring = json((await app.inject({ method: 'GET', url: '/api/schedules/preview?expression=30%203%20*%203%20*&timezone=Europe/Athens&count=31' })).body)
  const march = spring.fires.map((fire: { local: string }) => fire.local).filter((local: string) => /-03-2[6-9]/.test(local))
  t.same(march.slice(0, 4), ['2027-03-26T03:30:00+02:00', '2027-03-27T03:30:00+02:00', '2027-03-28T04:30:00+03:00', '2027-03-29T03:30:00+03:00'],
    'the skipped 03:30 of 28 March 2027 fires at 04:30, summer time after')
  t.equal(spring.fires[0].at, new Date(spring.fires[0].local).toISOString(), 'at and local are one instant')
  const autumn = json((await app.inject({ method: 'GET', url: '/api/schedules/preview?expression=30%203%20*%2010%20*&timezone=Europe/Athens&count=31' })).body)
  const october = autumn.fires.map((fire: { local: string }) => fire.local).filter((local: string) => /-10-(30|31)/.test(local))
  t.same(october, ['2027-10-30T03:30:00+03:00', '2027-10-31T03:30:00+03:00'], 'the repeated 03:30 of 31 October fires once')
  const bad = await app.inject({ method: 'GET', url: '/api/schedules/preview?expression=*%20*%20*%20*%20*&timezone=Nowhere/Land' })
  t.equal(bad.statusCode, 422)
  t.equal(json(bad.body).errors[0].pointer, '/querystring/timezone')
})

t.test('schedules and runs in XML: the same documents as JSON', async (t) => {
  const readXml = createXmlReader({ maxDepth: 32 })
  const body = { name: 'xml', action: 'start', when: { type: 'interval', every: 3, period: 'hours' }, selector: { tags: { include: ['a', 'b'], exclude: ['c'] } } }
  const created = await app.inject({ method: 'POST', url: '/api/schedules', payload: toXml(ScheduleCreateBody, body), headers: { 'content-type': 'application/xml', accept: 'application/xml' } })
  t.equal(created.statusCode, 201, created.body)
  const fromXml = readXml(created.body, Schedule) as Record<string, any>
  t.same(fromXml.when, body.when)
  t.same(fromXml.selector, body.selector)
  const asJson = json((await app.inject({ method: 'GET', url: `/api/schedules/${fromXml.id}` })).body)
  t.same(fromXml, asJson)
  const xml = new XMLParser().parse((await app.inject({ method: 'GET', url: `/api/schedules/${fromXml.id}/runs`, headers: { accept: 'application/xml' } })).body)
  t.ok('runs' in xml, 'root element runs')
  t.ok('schedules' in new XMLParser().parse((await app.inject({ method: 'GET', url: '/api/schedules', headers: { accept: 'application/xml' } })).body))
})
