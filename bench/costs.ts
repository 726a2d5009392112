// The costs section of npm run bench (BENCH_ONLY=costs runs it alone): 10,000 machines with 100
// transitions each (one every 8 hours from 1 November), on ten backends of one user.
// - GET /api/costs?group_by=backend for the open month, against a bare window-function query over
//   the same rows on node-postgres (target <= 1.5); for the closed month, read from its roll-up
//   (target <= 0.2 of the bare query over that month);
// - GET /api/machine/{id}/cost against the bare query for one machine (target <= 2);
// - a tag schedule stopping 1,000 machines: from the run to every stop accepted, against the same
//   1,000 stops sent directly, 8 at a time (target <= 1.5).
// BENCH_COSTS_PART=reports or =schedule measures one of the two halves alone.
import pg from 'pg'
import { SecretBox } from '../src/domain/secret-box.ts'
import { generateToken, hashToken, tokenPrefix } from '../src/domain/tokens.ts'
import type { CloudBenchTools } from './cloud-sync.ts'

const MACHINES = 10_000
const PER_MACHINE = 100
const BACKENDS = 10
const STOPS = Number(process.env.BENCH_SCHEDULE_MACHINES ?? 1000)
const NOV = '2026-11-01T00:00:00.000Z'
const DEC = '2026-12-01T00:00:00.000Z'

/** The baseline: each running interval's seconds within the window times the machine's price, per backend, by a window function. */
const BARE_BY_BACKEND = `
  WITH t AS (
    SELECT machine_id, to_state, at, lead(at) OVER (PARTITION BY machine_id ORDER BY at, id) AS next FROM transitions
    WHERE machine_id IN (SELECT id FROM machines WHERE owner_id = $3)
  )
  SELECT m.backend_id, sum(extract(epoch FROM least(coalesce(t.next, $2), $2) - greatest(t.at, $1)) * m.hourly_price / 3600) AS cost
  FROM t JOIN machines m ON m.id = t.machine_id
  WHERE t.to_state IN ('running', 'rebooting') AND coalesce(t.next, $2) > $1 AND t.at < $2
  GROUP BY m.backend_id`
const BARE_ONE = `
  WITH t AS (SELECT to_state, at, lead(at) OVER (ORDER BY at, id) AS next FROM transitions WHERE machine_id = $3)
  SELECT sum(extract(epoch FROM least(coalesce(t.next, $2), $2) - greatest(t.at, $1)) * m.hourly_price / 3600) AS cost
  FROM t, machines m WHERE m.id = $3 AND t.to_state IN ('running', 'rebooting') AND coalesce(t.next, $2) > $1 AND t.at < $2
  GROUP BY m.hourly_price`

export async function measureCosts (tools: CloudBenchTools): Promise<void> {
  const db = new pg.Client({ connectionString: tools.databaseUrl })
  await db.connect()
  const token = generateToken()
  await db.query("INSERT INTO users (id, name, is_admin) VALUES ('costuser', 'costuser', false)")
  await db.query("INSERT INTO api_tokens (id, user_id, name, token_hash, prefix) VALUES ('costtoken', 'costuser', 'cost', $1, $2)", [hashToken(token), tokenPrefix(token)])
  const part = process.env.BENCH_COSTS_PART
  const ratios: Array<{ name: string, value: number, target: number }> = []
  if (part === undefined || part === 'reports') ratios.push(...await measureReports(tools, db, token))
  if (part === undefined || part === 'schedule') ratios.push(await measureScheduleRun(tools, db, token))
  await db.end()
  console.log('')
  for (const ratio of ratios) console.log(`${ratio.name.padEnd(42)} ${tools.fmt(ratio.value, 2).padStart(6)}  (target <= ${ratio.target}) ${ratio.value <= ratio.target ? 'met' : 'MISSED'}`)
}

async function measureReports (tools: CloudBenchTools, db: pg.Client, token: string): Promise<Array<{ name: string, value: number, target: number }>> {
  const { fmt, rounds } = tools
  const box = new SecretBox(tools.secretKey)
  for (let b = 1; b <= BACKENDS; b++) {
    await db.query(`INSERT INTO backends (id, title, provider, credentials, settings, updated_at, owner_id, listed_at)
      VALUES ($1, $1, 'sandbox', $2, '{"boot_delay_ms":0,"stop_delay_ms":0}', now(), 'costuser', now())`, [`costbackend${b}`, box.sealJson({ api_key: `cost${b}` })])
  }
  const seeding = Date.now()
  await db.query(`INSERT INTO machines (backend_id, provider_id, name, state, kind, size, image, location, hourly_price, currency, last_transition, updated_at, uuid, owner_id, created_at)
    SELECT 'costbackend' || (g % ${BACKENDS} + 1), 'cost-' || g, 'cost-' || g, 'stopped', 'vm', 'sbx.small', 'debian-12', 'sbx-eu-1', 0.015, 'USD', now(), now(), gen_random_uuid(), 'costuser', '2026-10-31T00:00:00Z'
    FROM generate_series(1, ${MACHINES}) AS g`)
  await db.query(`INSERT INTO transitions (machine_id, from_state, to_state, at, cause)
    SELECT m.id, CASE WHEN k = 0 THEN NULL WHEN k % 2 = 0 THEN 'stopped'::machine_state ELSE 'running'::machine_state END,
      CASE WHEN k % 2 = 0 THEN 'running'::machine_state ELSE 'stopped'::machine_state END,
      timestamptz '${NOV}' + k * interval '8 hours' + (m.id % 3600) * interval '1 second', 'provider_sync'
    FROM machines m, generate_series(0, ${PER_MACHINE - 1}) AS k WHERE m.owner_id = 'costuser'`)
  await db.query('ANALYZE')
  const one = (await db.query("SELECT id FROM machines WHERE owner_id = 'costuser' ORDER BY id LIMIT 1 OFFSET 5000")).rows[0].id as number
  console.log(`\ncosts: seeded ${fmt(MACHINES)} machines x ${PER_MACHINE} transitions on ${BACKENDS} backends in ${fmt(Date.now() - seeding)} ms`)

  const server = await tools.start('bench/stratus-server.ts', { POLL_INTERVAL_MS: '200' })
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const get = async (path: string): Promise<number> => {
    const started = performance.now()
    const answer = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
    await answer.arrayBuffer()
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status}`)
    return performance.now() - started
  }
  const bare = async (text: string, params: unknown[]): Promise<number> => {
    const started = performance.now()
    await db.query(text, params)
    return performance.now() - started
  }
  const now = new Date().toISOString()
  const medianOf = async (count: number, run: () => Promise<number>): Promise<number> => {
    const values: number[] = []
    for (let i = 0; i < count; i++) values.push(await run())
    return median(values)
  }
  const cases = {
    bareOpen: async () => bare(BARE_BY_BACKEND, [DEC, now, 'costuser']),
    apiOpen: async () => get(`/api/costs?group_by=backend&from=${DEC}&to=${now}`),
    bareClosed: async () => bare(BARE_BY_BACKEND, [NOV, DEC, 'costuser']),
    apiClosed: async () => get(`/api/costs?group_by=backend&from=${NOV}&to=${DEC}`),
    // One machine's answer takes milliseconds: each round is the median of 20, warm.
    bareOne: async () => medianOf(20, async () => bare(BARE_ONE, [NOV, now, one])),
    apiOne: async () => medianOf(20, async () => get(`/api/machine/${one}/cost?from=${NOV}&to=${now}`)),
    // Not a target: the machine's details, the cheapest owner-scoped read, as the floor of any one-machine answer.
    apiDetails: async () => medianOf(20, async () => get(`/api/machine/${one}`))
  }
  type Case = keyof typeof cases
  // The first closed-month report rolls the month up (once): measured apart, then warm.
  const rollUp = await cases.apiClosed()
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as number[]])) as Record<Case, number[]>
  for (let round = 0; round < Math.max(3, rounds); round++) {
    for (const [name, run] of Object.entries(cases) as Array<[Case, () => Promise<number>]>) times[name].push(await run())
  }
  const ms = (name: Case) => median(times[name])
  for (const name of Object.keys(cases) as Case[]) console.log(`${name.padEnd(42)} ${fmt(ms(name), 1).padStart(9)} ms  (rounds: ${times[name].map((value) => fmt(value, 1)).join(' / ')})`)
  console.log(`${'first closed-month report (rolls it up)'.padEnd(42)} ${fmt(rollUp, 1).padStart(9)} ms`)
  await tools.stop(server.process)
  return [
    { name: 'open-month report / bare window query', value: ms('apiOpen') / ms('bareOpen'), target: 1.5 },
    { name: 'closed-month report / bare window query', value: ms('apiClosed') / ms('bareClosed'), target: 0.2 },
    { name: 'machine cost / bare one-machine query', value: ms('apiOne') / ms('bareOne'), target: 2 }
  ]
}

async function measureScheduleRun (tools: CloudBenchTools, db: pg.Client, token: string): Promise<{ name: string, value: number, target: number }> {
  const { fmt } = tools
  // A tag schedule stopping STOPS machines, against the same stops sent directly, on a server at
  // the shipped POLL_INTERVAL_MS (1 s): at 200 ms, the watch each stop asks for (listing the
  // 2,000-machine backend) took most of the one core from both.
  const actions = await tools.start('bench/stratus-server.ts', { POLL_INTERVAL_MS: '1000' })
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const answer = await fetch(`${actions.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${await answer.text()}`)
    return answer.status === 204 ? undefined : answer.json()
  }
  const backend = (await call('POST', '/backends', { title: 'schedule', provider: 'sandbox', api_key: 'schedule', boot_delay_ms: 0, stop_delay_ms: 0 })).id
  const key = (await call('POST', '/keys', { name: 'schedule' })).id
  const make = async (tag: string): Promise<number[]> => {
    const ids: number[] = []
    for (let i = 0; i < STOPS; i += 20) {
      ids.push(...await Promise.all(Array.from({ length: 20 }, async (_, j) =>
        (await call('POST', `/backends/${backend}/machines`, { name: `${tag}-${i + j}`, key, image: 'debian-12', size: 'sbx.small', location: 'sbx-eu-1' })).machine_api_id as number)))
    }
    await db.query('UPDATE machines SET tags = ARRAY[$1] WHERE id = ANY($2::int[])', [tag, ids])
    while (Number((await db.query("SELECT count(*) FROM machines WHERE id = ANY($1::int[]) AND state = 'running'", [ids])).rows[0].count) < ids.length) await new Promise((resolve) => setTimeout(resolve, 100))
    return ids
  }
  const direct = await make('direct')
  await make('scheduled')
  let started = performance.now()
  for (let i = 0; i < direct.length; i += 8) await Promise.all(direct.slice(i, i + 8).map((id) => call('POST', `/api/machine/${id}/control`, { action: 'stop' })))
  const directMs = performance.now() - started
  const schedule = await call('POST', '/api/schedules', { name: 'bench', action: 'stop', when: { type: 'cron', expression: '0 3 1 1 *' }, selector: { tags: { include: ['scheduled'] } } })
  started = performance.now()
  const run = await call('POST', `/api/schedules/${schedule.id}/run`)
  const pending = async () => Number((await db.query("SELECT count(*) FROM schedule_run_machines WHERE run_id = $1 AND outcome = 'pending'", [run.id])).rows[0].count)
  while (await pending() > 0) await new Promise((resolve) => setTimeout(resolve, 20))
  const scheduleMs = performance.now() - started
  const outcomes = (await db.query('SELECT outcome::text, count(*)::int AS n FROM schedule_run_machines WHERE run_id = $1 GROUP BY 1', [run.id])).rows
  console.log(`${`${fmt(STOPS)} direct stops, 8 at a time`.padEnd(42)} ${fmt(directMs, 0).padStart(9)} ms`)
  console.log(`${`a tag schedule's run over ${fmt(STOPS)} machines`.padEnd(42)} ${fmt(scheduleMs, 0).padStart(9)} ms  (${outcomes.map((row) => `${row.n} ${row.outcome}`).join(', ')})`)

  await tools.stop(actions.process)
  return { name: 'schedule run / direct stops', value: scheduleMs / directMs, target: 1.5 }
}
