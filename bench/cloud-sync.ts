// The cloud section of npm run bench (BENCH_ONLY=cloud runs it alone), for each cloud (a profile
// in bench/cloud-profiles.ts): a backend holding 10,000 machines in the cloud's HTTPS fake, synced
// into PostgreSQL through the cloud's SDK, against a bare loop over the same pages with a batched
// upsert of the same rows; then the backend's machine list against GET /api/machine over the
// same rows, on a started server.
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { openSync, writeSync } from 'node:fs'
import type autocannon from 'autocannon'
import pg from 'pg'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { generateToken, hashToken, tokenPrefix } from '../src/domain/tokens.ts'
import type { CloudAccountUnderBench, CloudProfile } from './cloud-profiles.ts'

const MACHINES = 10_000
const BATCH = 1000

interface Load { url: string, connections: number, seconds: number, token?: string }

export interface CloudBenchTools {
  databaseUrl: string
  secretKey: Buffer
  rounds: number
  seconds: number
  start(script: string, env: Record<string, string>): Promise<{ url: string, process: ChildProcess }>
  stop(child: ChildProcess): Promise<void>
  load(options: Load): Promise<autocannon.Result>
  fmt(n: number, digits?: number): string
}

export async function measureCloudSync (tools: CloudBenchTools, profile: CloudProfile): Promise<void> {
  const { databaseUrl, rounds, fmt } = tools
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  const prefix = `${profile.provider}${randomBytes(2).toString('hex')}`
  // A user per round, so that each round's backend and GET /api/machine see exactly its 10,000 rows.
  const users: Array<{ id: string, token: string }> = []
  for (let round = 0; round < rounds; round++) {
    const user = { id: `${prefix}${round}`, token: generateToken() }
    await db.query('INSERT INTO users (id, name, is_admin) VALUES ($1, $1, false)', [user.id])
    await db.query('INSERT INTO api_tokens (id, user_id, name, token_hash, prefix) VALUES ($1, $2, $2, $3, $4)', [`${user.id}token`, user.id, hashToken(user.token), tokenPrefix(user.token)])
    users.push(user)
  }
  // Backends are added by an administrator (Docker's may be added by no one else) and handed to the round's user.
  const admin = { id: `${prefix}admin`, token: generateToken() }
  await db.query('INSERT INTO users (id, name, is_admin) VALUES ($1, $1, true)', [admin.id])
  await db.query('INSERT INTO api_tokens (id, user_id, name, token_hash, prefix) VALUES ($1, $2, $2, $3, $4)', [`${admin.id}token`, admin.id, hashToken(admin.token), tokenPrefix(admin.token)])

  const devNull = openSync('/dev/null', 'w')
  const app = await buildApp({
    ...loadConfig({ DATABASE_URL: databaseUrl, STRATUS_SECRET_KEY: tools.secretKey.toString('base64'), ...profile.env, SYNC_INTERVAL_MS: '0', POLL_INTERVAL_MS: '60000', STRATUS_ROLE: 'api', RATE_LIMIT_MAX: '1000000000' }),
    logLevel: 'warn'
  }, { logStream: { write: (line: string) => { writeSync(devNull, line) } } })
  await app.ready()

  /** Stratus: the backend added through the API, then one sync pass (the first adopts every machine). */
  const addBackend = async (user: { id: string }, fields: Record<string, unknown>): Promise<string> => {
    const answer = await app.inject({ method: 'POST', url: '/backends', headers: { authorization: `Bearer ${admin.token}` }, payload: { title: 'bench', provider: profile.provider, ...fields } })
    if (answer.statusCode !== 201) throw new Error(`backend: ${answer.statusCode} ${answer.body}`)
    const id = JSON.parse(answer.body).id as string
    await db.query('UPDATE backends SET owner_id = $2 WHERE id = $1', [id, user.id])
    return id
  }
  const sync = async (backendId: string): Promise<number> => {
    const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
    const started = performance.now()
    const { machines } = await app.watcher.syncNow(backend, 'provider_sync')
    if (machines.length !== MACHINES) throw new Error(`synced ${machines.length} machines, not ${MACHINES}`)
    return performance.now() - started
  }
  /** The baseline: the same pages read bare (profile.readBare), the same rows upserted in batches of 1,000. */
  const bare = async (backendId: string, account: CloudAccountUnderBench): Promise<number> => {
    const started = performance.now()
    const rows = await account.readBare()
    for (let i = 0; i < rows.length; i += BATCH) {
      await db.query(`INSERT INTO machines (uuid, backend_id, provider_id, name, state, kind, size, image, location, public_ips, private_ips, extra, last_transition, created_at, updated_at)
        SELECT gen_random_uuid(), $2, provider_id, name, state, 'vm', size, image, location, public_ips, private_ips, extra, now(), now(), now()
        FROM jsonb_to_recordset($1::jsonb) AS x(provider_id text, name text, state machine_state, size text, image text, location text, public_ips text[], private_ips text[], extra jsonb)
        ON CONFLICT (backend_id, provider_id) DO UPDATE SET name = EXCLUDED.name, state = EXCLUDED.state, public_ips = EXCLUDED.public_ips,
          private_ips = EXCLUDED.private_ips, extra = EXCLUDED.extra, updated_at = now()`, [JSON.stringify(rows.slice(i, i + BATCH)), backendId])
    }
    return performance.now() - started
  }

  const times = { first: [] as number[], again: [] as number[], bareFirst: [] as number[], bareAgain: [] as number[] }
  const backends: string[] = []
  for (let round = 0; round < rounds; round++) {
    const stratusAccount = await profile.account(MACHINES)
    const bareAccount = await profile.account(MACHINES)
    const backendId = await addBackend(users[round]!, stratusAccount.fields)
    backends.push(backendId)
    const bareId = `bare${prefix}${round}`
    await db.query("INSERT INTO backends (id, title, provider, credentials, settings, updated_at) VALUES ($1, 'bare', $2, 'never opened', '{}', now())", [bareId, profile.provider])
    // Turns: which side goes first alternates, so drift in the machine's speed falls on both.
    const stratusTurn = async () => { times.first.push(await sync(backendId)); times.again.push(await sync(backendId)) }
    const bareTurn = async () => { times.bareFirst.push(await bare(bareId, bareAccount)); times.bareAgain.push(await bare(bareId, bareAccount)) }
    if (round % 2 === 0) { await stratusTurn(); await bareTurn() } else { await bareTurn(); await stratusTurn() }
  }
  await app.close()

  // The list over those rows on a started server, as it ships (LIST_FRESH_MS at its default):
  // one connection, the two routes taking turns, round after round.
  const server = await tools.start('bench/stratus-server.ts', profile.env)
  const owner = users[0]!
  const list = { url: `${server.url}/backends/${backends[0]!}/machines`, connections: 1, seconds: tools.seconds, token: owner.token }
  const gate = { url: `${server.url}/api/machine`, connections: 1, seconds: tools.seconds, token: owner.token }
  const pagesBefore = profile.listingCalls()
  // The first list asks the cloud (a cold server, a backend listed more than LIST_FRESH_MS ago).
  const primed = await fetch(list.url, { headers: { authorization: `Bearer ${owner.token}` } })
  if (primed.status !== 200) throw new Error(`list: ${primed.status} ${await primed.text()}`)
  await primed.arrayBuffer()
  await tools.load({ ...list, seconds: 2 })
  await tools.load({ ...gate, seconds: 2 })
  const lists: autocannon.Result[] = []
  const gates: autocannon.Result[] = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) { lists.push(await tools.load(list)); gates.push(await tools.load(gate)) } else { gates.push(await tools.load(gate)); lists.push(await tools.load(list)) }
  }
  const pages = profile.listingCalls() - pagesBefore
  const listRequests = lists.reduce((sum, result) => sum + result.requests.total, 0)
  await tools.stop(server.process)
  await db.end()

  const median = (values: number[]) => { const sorted = [...values].sort((a, b) => a - b); return sorted[Math.floor(sorted.length / 2)]! }
  const ms = (values: number[]) => `${fmt(median(values))} ms (rounds: ${values.map((value) => fmt(value)).join(' / ')})`
  console.log(`\n${profile.title(fmt(MACHINES))}, ${rounds} rounds, medians:`)
  console.log(`  ${'first sync (adopts every machine)'.padEnd(40)} ${ms(times.first)}`)
  console.log(`  ${'bare: pages + batched insert'.padEnd(40)} ${ms(times.bareFirst)}`)
  console.log(`  ${'sync again, nothing changed'.padEnd(40)} ${ms(times.again)}`)
  console.log(`  ${'bare: pages + batched upsert'.padEnd(40)} ${ms(times.bareAgain)}`)
  const p = (results: autocannon.Result[], key: 'p50' | 'p99') => median(results.map((result) => result.latency[key]))
  const mean = (results: autocannon.Result[]) => median(results.map((result) => result.latency.average))
  console.log(`  ${'GET /backends/{id}/machines'.padEnd(40)} p50 ${p(lists, 'p50')} ms, p99 ${p(lists, 'p99')} ms, mean ${fmt(mean(lists), 2)} ms; ` +
    `${fmt(listRequests)} lists cost ${fmt(pages)} page calls at the cloud`)
  console.log(`  ${'GET /api/machine (same rows)'.padEnd(40)} p50 ${p(gates, 'p50')} ms, p99 ${p(gates, 'p99')} ms, mean ${fmt(mean(gates), 2)} ms`)
  const ratios = [
    { name: `${profile.provider} sync, first / bare insert`, value: median(times.first) / median(times.bareFirst), limit: 2 },
    { name: `${profile.provider} sync, unchanged / bare upsert`, value: median(times.again) / median(times.bareAgain), limit: 2 },
    { name: `${profile.provider} list median latency / GET /api/machine`, value: p(lists, 'p50') / p(gates, 'p50'), limit: 3 }
  ]
  for (const ratio of ratios) console.log(`${ratio.name.padEnd(42)} ${fmt(ratio.value, 2).padStart(6)}  (target <= ${ratio.limit}) ${ratio.value <= ratio.limit ? 'met' : 'MISSED'}`)
}
