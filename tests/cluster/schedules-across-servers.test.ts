import t from 'tap'
import pg from 'pg'
import { createTestDatabase } from '../helper.ts'
import { call as callServer, startServer, until, type StartedServer } from '../started-server.ts'

/**
 * Schedules on three real servers sharing one PostgreSQL database: each fire runs once, whoever
 * is up; a fire missed while every server was down runs once late within its grace, else is
 * recorded as missed. One cluster serves every case, a cron schedule running through all of them.
 */
t.setTimeout(420_000)

// The shipped pace but for job polling (fires within half a second): nothing here waits for a dead
// server's job to expire (a fire's job waits, created, for its time), and three servers idling
// through a three-minute cron should cost the other test files running beside this one little.
const ENV = { JOB_POLL_INTERVAL_MS: '500', SYNC_INTERVAL_MS: '0' }

const database = await createTestDatabase()
t.teardown(() => database.drop())
const db = new pg.Client({ connectionString: database.url })
await db.connect()
t.teardown(() => db.end())
let servers: StartedServer[] = []
const startAll = async (): Promise<void> => {
  servers = await Promise.all([0, 1, 2].map(() => startServer(t, { ...ENV, DATABASE_URL: database.url })))
}
t.teardown(() => Promise.all(servers.map((server) => server.stop())))
await startAll()

let turn = 0
// Round-robin, as a load balancer would.
const call = async (method: string, path: string, body?: unknown) => callServer(servers[turn++ % servers.length]!, method, path, body)

const backend = (await call('POST', '/backends', { title: 'shared', provider: 'sandbox', api_key: 'k', boot_delay_ms: 0, stop_delay_ms: 0 })).body.id as string
const key = (await call('POST', '/keys', { name: 'k' })).body.id as string
async function machines (count: number, tag: string): Promise<number[]> {
  const ids: number[] = []
  for (let i = 0; i < count; i++) {
    const created = await call('POST', `/backends/${backend}/machines`, { name: `${tag}-${i}`, key, image: 'debian-12', size: 'sbx.small', location: 'sbx-eu-1' })
    ids.push(created.body.machine_api_id)
  }
  await db.query('UPDATE machines SET tags = ARRAY[$1] WHERE id = ANY($2::int[])', [tag, ids])
  await until(`${tag} machines running`, async () => (await db.query("SELECT count(*)::int AS n FROM machines WHERE id = ANY($1::int[]) AND state = 'running'", [ids])).rows[0].n === count, 30_000)
  return ids
}
const actionCalls = async (action: string): Promise<number> =>
  Number((await db.query('SELECT count FROM sandbox_api_calls WHERE account = $1 AND operation = $2', [backend, action])).rows[0]?.count ?? 0)
const runsOf = async (id: string) => (await db.query('SELECT fire_at, status::text AS status, lateness_ms, detail FROM schedule_runs WHERE schedule_id = $1 ORDER BY fire_at', [id])).rows
const inMs = (ms: number): string => new Date(Date.now() + ms).toISOString()

// A cron each minute, for three minutes: started first, it fires through every case below.
const [ticking] = await machines(1, 'ticking')
const firstMinute = Math.ceil((Date.now() + 1000) / 60_000) * 60_000
const cron = (await call('POST', '/api/schedules', {
  name: 'each minute',
  action: 'reboot',
  when: { type: 'cron', expression: '* * * * *' },
  selector: { machine_ids: [ticking] },
  expires: new Date(firstMinute + 2 * 60_000 + 30_000).toISOString()
})).body

t.test('a one_off in 5 s stopping 50 machines by tag: one run, 50 stop calls', async (t) => {
  const ids = await machines(50, 'batch')
  const before = await actionCalls('shutdown')
  const schedule = (await call('POST', '/api/schedules', { name: 'batch stop', action: 'stop', when: { type: 'one_off', at: inMs(5000) }, selector: { tags: { include: ['batch'] } } })).body
  await until('all 50 stopped', async () => (await db.query("SELECT count(*)::int AS n FROM machines WHERE id = ANY($1::int[]) AND state = 'stopped'", [ids])).rows[0].n === 50, 30_000)
  const runs = await runsOf(schedule.id)
  t.equal(runs.length, 1, 'one run across three servers')
  await until('the run finished', async () => (await runsOf(schedule.id))[0].status === 'succeeded', 10_000)
  t.equal(await actionCalls('shutdown') - before, 50, 'exactly 50 stop calls reached the cloud')
  const outcomes = (await db.query('SELECT outcome::text AS outcome, count(*)::int AS n FROM schedule_run_machines m JOIN schedule_runs r ON r.id = m.run_id WHERE r.schedule_id = $1 GROUP BY 1', [schedule.id])).rows
  t.same(outcomes, [{ outcome: 'succeeded', n: 50 }])
})

t.test('every server killed across a fire: restarted within the grace, one late run; beyond it, missed and nothing done', async (t) => {
  const [within, beyond] = [await machines(1, 'within'), await machines(1, 'beyond')]
  const lenient = (await call('POST', '/api/schedules', { name: 'lenient', action: 'stop', misfire_grace_s: 60, when: { type: 'one_off', at: inMs(3000) }, selector: { machine_ids: within } })).body
  const strict = (await call('POST', '/api/schedules', { name: 'strict', action: 'stop', misfire_grace_s: 2, when: { type: 'one_off', at: inMs(3000) }, selector: { machine_ids: beyond } })).body
  const stoppedBefore = await actionCalls('shutdown')
  await Promise.all(servers.map((server) => server.kill()))
  // Down across both fires, and more than the strict one's 2 s of grace past them.
  await new Promise((resolve) => setTimeout(resolve, 8000))
  await startAll()
  await until('the late run finished', async () => (await runsOf(lenient.id))[0]?.status === 'succeeded', 20_000)
  const [late] = await runsOf(lenient.id)
  t.ok(late.lateness_ms >= 4000, `run once, ${late.lateness_ms} ms late`)
  const missed = await until('the strict one recorded', async () => (await runsOf(strict.id))[0], 20_000)
  t.match(missed, { status: 'missed', detail: /beyond misfire_grace_s 2: nothing done/ })
  t.equal(await actionCalls('shutdown') - stoppedBefore, 1, 'one stop: the lenient schedule\'s, none for the missed one')
  t.equal((await db.query('SELECT state::text AS state FROM machines WHERE id = $1', [beyond[0]])).rows[0].state, 'running')
  t.equal((await runsOf(lenient.id)).length, 1)
  t.equal((await runsOf(strict.id)).length, 1)
})

t.test('a cron each minute for three minutes: three runs, one per minute', async (t) => {
  await until('the cron schedule done', async () => (await db.query('SELECT next_fire_at FROM schedules WHERE id = $1', [cron.id])).rows[0].next_fire_at === null, 240_000)
  const runs = await runsOf(cron.id)
  t.same(runs.map((run: { fire_at: Date }) => run.fire_at.getTime()), [firstMinute, firstMinute + 60_000, firstMinute + 120_000], 'each minute once')
  t.ok(runs.every((run: { status: string }) => run.status !== 'missed'), 'a fire during the outage ran late, within the default grace')
})
