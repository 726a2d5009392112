// npm run bench: seeds a database with 10,000 machines and measures the API against a bare
// Fastify + pg server on the same database, in one run, printing ratios against that baseline.
import { spawn, type ChildProcess } from 'node:child_process'
import autocannon from 'autocannon'
import pg from 'pg'
import { migrate } from '../src/db/migrate.ts'
import { SecretBox } from '../src/domain/secret-box.ts'

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const DATABASE = 'stratus_bench'
const MACHINES = 10_000
const SECRET_KEY = Buffer.alloc(32, 9)
const DURATION = Number(process.env.BENCH_SECONDS ?? 10)
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
  await db.query(`INSERT INTO backends (id, title, provider, credentials, settings, updated_at)
    VALUES ('benchbackend', 'Bench', 'sandbox', $1, '{"boot_delay_ms":0}', now())`, [box.sealJson({ api_key: 'bench' })])
  // Most machines run; some are stopped and a few destroyed, as in a real account.
  await db.query(`INSERT INTO machines (backend_id, provider_id, name, state, kind, size, image, location, public_ips, private_ips,
      hourly_price, currency, last_transition, public_url, admin_password, updated_at, uuid)
    SELECT 'benchbackend', 'sbx-' || g, 'machine-' || g,
      (CASE WHEN g % 10 = 0 THEN 'stopped' WHEN g % 50 = 1 THEN 'terminated' ELSE 'running' END)::machine_state,
      'vm', 'sbx.small', 'debian-12', 'sbx-eu-1', ARRAY['203.0.113.' || (g % 250 + 1)], ARRAY['10.20.0.' || (g % 250 + 1)],
      0.015, 'USD', now(), 'https://sbx-' || g || '.sandbox.invalid/', $1, now(), gen_random_uuid()
    FROM generate_series(1, ${MACHINES}) AS g`, [box.seal('bench-admin-password')])
  await db.query('ANALYZE')
  await db.end()
}

async function start (script: string): Promise<{ url: string, process: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, DATABASE_URL: databaseUrl, STRATUS_SECRET_KEY: SECRET_KEY.toString('base64'), POLL_INTERVAL_MS: '60000' },
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
  const result = await autocannon({ url, connections, duration: seconds, headers: { accept } })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`)
  return result
}

/** Warm up (JIT, caches, pool), then measure. */
async function measure (options: Load): Promise<autocannon.Result> {
  await load({ ...options, seconds: 2 })
  return load(options)
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

await seed()
console.log(`seeded ${MACHINES} machines in ${DATABASE}; ${DURATION}s per measurement, 10 connections for throughput, 1 for list latency\n`)

const bare = await start('bench/bare-server.ts')
const bareOne = await measure({ url: `${bare.url}/machine/5000`, connections: 10, seconds: DURATION })
const bareList = await measure({ url: `${bare.url}/machines`, connections: 1, seconds: DURATION })
await stop(bare.process)

const api = await start('bench/stratus-server.ts')
const oneJson = await measure({ url: `${api.url}/api/machine/5000`, connections: 10, seconds: DURATION })
const oneXml = await measure({ url: `${api.url}/api/machine/5000`, accept: 'application/xml', connections: 10, seconds: DURATION })
const list = await measure({ url: `${api.url}/api/machine`, connections: 1, seconds: DURATION })
await stop(api.process)

const rows: Array<[string, string, string]> = [
  ['bare Fastify + pg, single row (JSON)', `${fmt(bareOne.requests.average)} req/s`, `p50 ${bareOne.latency.p50} ms, mean ${fmt(bareOne.latency.average, 2)} ms`],
  ['GET /api/machine/{id} (JSON)', `${fmt(oneJson.requests.average)} req/s`, `p50 ${oneJson.latency.p50} ms, mean ${fmt(oneJson.latency.average, 2)} ms`],
  ['GET /api/machine/{id} (XML)', `${fmt(oneXml.requests.average)} req/s`, `p50 ${oneXml.latency.p50} ms, mean ${fmt(oneXml.latency.average, 2)} ms`],
  [`bare Fastify + pg, same ${fmt(MACHINES * 0.98)} rows`, `${fmt(bareList.requests.average, 1)} req/s`, `p50 ${bareList.latency.p50} ms, mean ${fmt(bareList.latency.average, 2)} ms`],
  ['GET /api/machine (same rows)', `${fmt(list.requests.average, 1)} req/s`, `p50 ${list.latency.p50} ms, mean ${fmt(list.latency.average, 2)} ms`]
]
for (const row of rows) console.log(`${row[0].padEnd(42)} ${row[1].padStart(16)}  ${row[2]}`)

const ratios = [
  { name: 'detail JSON throughput / bare', value: oneJson.requests.average / bareOne.requests.average, target: '>= 0.7', ok: (v: number) => v >= 0.7 },
  { name: 'detail XML throughput / JSON', value: oneXml.requests.average / oneJson.requests.average, target: '>= 0.8', ok: (v: number) => v >= 0.8 },
  { name: 'list median latency / bare', value: list.latency.p50 / bareList.latency.p50, target: '<= 2', ok: (v: number) => v <= 2 },
  // autocannon's median has millisecond resolution; the mean shows what it rounds away.
  { name: 'list mean latency / bare (context)', value: list.latency.average / bareList.latency.average, target: '<= 2', ok: (v: number) => v <= 2 }
]
console.log('')
for (const ratio of ratios) console.log(`${ratio.name.padEnd(42)} ${fmt(ratio.value, 2).padStart(6)}  (target ${ratio.target}) ${ratio.ok(ratio.value) ? 'met' : 'MISSED'}`)

const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`)
await admin.end()
