// npm run bench: seeds a database with 10,000 machines and measures the API against a bare
// Fastify + pg server on the same database, in one run, printing ratios against that baseline.
import { spawn, type ChildProcess } from 'node:child_process'
import autocannon from 'autocannon'
import pg from 'pg'
import { migrate } from '../src/db/migrate.ts'
import { SecretBox } from '../src/domain/secret-box.ts'
import { generateToken, hashToken, tokenPrefix } from '../src/domain/tokens.ts'

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const DATABASE = 'stratus_bench'
const MACHINES = 10_000
const SECRET_KEY = Buffer.alloc(32, 9)
const DURATION = Number(process.env.BENCH_SECONDS ?? 5)
// The API is measured as it ships: every request carries a bearer token that is verified.
const TOKEN = generateToken()
const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${DATABASE}` }).toString()

async function seed (): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${DATABASE}`)
  await admin.end()
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  await migrate({ exec: async (sql) => { await db.query(sql) }, query: async (sql, params) => (await db.query(sql, params)).rows, close: async () => {} })
  const box = new SecretBox(SECRET_KEY)
  await db.query("INSERT INTO users (id, name, is_admin) VALUES ('benchuser', 'bench', false)")
  await db.query(`INSERT INTO api_tokens (id, user_id, name, token_hash, prefix) VALUES ('benchtoken', 'benchuser', 'bench', $1, $2)`, [hashToken(TOKEN), tokenPrefix(TOKEN)])
  await db.query(`INSERT INTO backends (id, title, provider, credentials, settings, updated_at, owner_id)
    VALUES ('benchbackend', 'Bench', 'sandbox', $1, '{"boot_delay_ms":0}', now(), 'benchuser')`, [box.sealJson({ api_key: 'bench' })])
  // Most machines run; some are stopped and a few destroyed, as in a real account.
  await db.query(`INSERT INTO machines (backend_id, provider_id, name, state, kind, size, image, location, public_ips, private_ips,
      hourly_price, currency, last_transition, public_url, admin_password, updated_at, uuid, owner_id)
    SELECT 'benchbackend', 'sbx-' || g, 'machine-' || g,
      (CASE WHEN g % 10 = 0 THEN 'stopped' WHEN g % 50 = 1 THEN 'terminated' ELSE 'running' END)::machine_state,
      'vm', 'sbx.small', 'debian-12', 'sbx-eu-1', ARRAY['203.0.113.' || (g % 250 + 1)], ARRAY['10.20.0.' || (g % 250 + 1)],
      0.015, 'USD', now(), 'https://sbx-' || g || '.sandbox.invalid/', $1, now(), gen_random_uuid(), 'benchuser'
    FROM generate_series(1, ${MACHINES}) AS g`, [box.seal('bench-admin-password')])
  await db.query('ANALYZE')
  await db.end()
}

async function start (script: string): Promise<{ url: string, process: ChildProcess }> {
  // The server under test gets core 1 to itself (as far as PostgreSQL lets it); the load
  // generator runs on core 0 (npm run bench pins this process there), so neither steals the other's
  // CPU and the rounds vary less.
  const child = spawn('taskset', ['-c', '1', process.execPath, '--import', 'tsx', script], {
    env: { ...process.env, DATABASE_URL: databaseUrl, STRATUS_SECRET_KEY: SECRET_KEY.toString('base64'), POLL_INTERVAL_MS: '60000', RATE_LIMIT_MAX: '1000000000' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /LISTENING (\S+)/.exec(out)
      if (match !== null) resolve(match[1]!)
    })
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)))
  })
  return { url, process: child }
}

async function stop (child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

interface Load { url: string, accept?: string, connections: number, seconds: number }

async function load ({ url, accept = 'application/json', connections, seconds }: Load): Promise<autocannon.Result> {
  const result = await autocannon({ url, connections, duration: seconds, headers: { accept, authorization: `Bearer ${TOKEN}` } })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
  return result
}

await seed()
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
console.log(`seeded ${MACHINES} machines in ${DATABASE}; ${ROUNDS} interleaved rounds of ${DURATION}s per case ` +
  '(10 connections for throughput, 1 for list latency); each figure is the median of its rounds\n')

// Both servers run side by side (the idle one costs nothing) and the cases take turns, round
// after round, so drift in the machine's speed falls on baseline and API alike.
const bare = await start('bench/bare-server.ts')
const api = await start('bench/stratus-server.ts')
const cases = {
  bareOne: { url: `${bare.url}/machine/5000`, connections: 10, seconds: DURATION },
  oneJson: { url: `${api.url}/api/machine/5000`, connections: 10, seconds: DURATION },
  oneXml: { url: `${api.url}/api/machine/5000`, accept: 'application/xml', connections: 10, seconds: DURATION },
  bareList: { url: `${bare.url}/machines`, connections: 1, seconds: DURATION },
  list: { url: `${api.url}/api/machine`, connections: 1, seconds: DURATION }
} satisfies Record<string, Load>
type Case = keyof typeof cases
const runs = Object.fromEntries(Object.keys(cases).map((name) => [name, [] as autocannon.Result[]])) as Record<Case, autocannon.Result[]>
for (const options of Object.values(cases)) await load({ ...options, seconds: 2 }) // warm-up: JIT, caches, pools
// Each round starts one case later, so that no case always follows the same neighbour (a case
// right after the baseline's heavy load measured consistently lower).
const order = Object.entries(cases) as Array<[Case, Load]>
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < order.length; i++) {
    const [name, options] = order[(i + round) % order.length]!
    runs[name].push(await load(options))
  }
}
await stop(bare.process)
await stop(api.process)

const median = (values: number[]) => { const sorted = [...values].sort((a, b) => a - b); return sorted[Math.floor(sorted.length / 2)]! }
const rps = (name: Case) => median(runs[name].map((r) => r.requests.average))
const p50 = (name: Case) => median(runs[name].map((r) => r.latency.p50))
const mean = (name: Case) => median(runs[name].map((r) => r.latency.average))
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

const labels: Record<Case, string> = {
  bareOne: 'bare Fastify + pg, single row (JSON)',
  oneJson: 'GET /api/machine/{id} (JSON)',
  oneXml: 'GET /api/machine/{id} (XML)',
  bareList: `bare Fastify + pg, same ${fmt(MACHINES * 0.98)} rows`,
  list: 'GET /api/machine (same rows)'
}
for (const name of Object.keys(cases) as Case[]) {
  const each = runs[name].map((r) => fmt(r.requests.average, name.endsWith('ist') ? 1 : 0)).join(' / ')
  console.log(`${labels[name].padEnd(42)} ${`${fmt(rps(name), 1)} req/s`.padStart(16)}  p50 ${p50(name)} ms, mean ${fmt(mean(name), 2)} ms  (rounds: ${each})`)
}

const ratios = [
  { name: 'detail JSON throughput / bare', value: rps('oneJson') / rps('bareOne'), target: '>= 0.7', ok: (v: number) => v >= 0.7 },
  { name: 'detail XML throughput / JSON', value: rps('oneXml') / rps('oneJson'), target: '>= 0.8', ok: (v: number) => v >= 0.8 },
  { name: 'list median latency / bare', value: p50('list') / p50('bareList'), target: '<= 2', ok: (v: number) => v <= 2 },
  // autocannon's median has millisecond resolution; the mean shows what it rounds away.
  { name: 'list mean latency / bare (context)', value: mean('list') / mean('bareList'), target: '<= 2', ok: (v: number) => v <= 2 }
]
console.log('')
for (const ratio of ratios) console.log(`${ratio.name.padEnd(42)} ${fmt(ratio.value, 2).padStart(6)}  (target ${ratio.target}) ${ratio.ok(ratio.value) ? 'met' : 'MISSED'}`)

const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
await admin.end()
