// The many-backends section of npm run bench (BENCH_ONLY=backends runs it alone): a started server
// given N DigitalOcean backends (each its own token at the HTTPS fake, one droplet each), each added
// and listed once. Printed for 10 and for 1,000 backends, each on a fresh server: its resident
// memory idle before and after, and the p99 delay of its event loop meanwhile (a library loaded per
// backend blocked it); what 1,000 backends cost is their idle RSS over 10's.
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { generateToken, hashToken, tokenPrefix } from '../src/domain/tokens.ts'
import { DigitalOceanFake } from '../tests/fakes/digitalocean-fake.ts'
import type { CloudBenchTools } from './cloud-sync.ts'

const CONCURRENCY = 8

/**
 * The server's event-loop delay since the last ask, and its resident set and heap after a
 * collection (bench/stratus-server.ts answers SIGUSR2 on stdout).
 */
async function loopDelay (child: ChildProcess): Promise<{ p99: number, max: number, rssMb: number, heapMb: number }> {
  return new Promise((resolve) => {
    let out = ''
    const read = (chunk: Buffer): void => {
      out += chunk
      const match = /LOOPDELAY (\{[^\n]*\})/.exec(out)
      if (match !== null) { child.stdout!.off('data', read); resolve(JSON.parse(match[1]!)) }
    }
    child.stdout!.on('data', read)
    child.kill('SIGUSR2')
  })
}

/** What is measured: N backends each added and listed, or (the baseline) N times two requests on one backend. */
type Workload = { count: number, baseline: boolean }

/** BENCH_BACKENDS=10,1000,3000 measures those counts (each on a fresh server) before the baseline. */
/** How long the server idles before the first reading and before the last. */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 15_000)

const counts = (process.env.BENCH_BACKENDS ?? '10,1000').split(',').map(Number)

export async function measureManyBackends (tools: CloudBenchTools, runs: readonly Workload[] = [...counts.map((count) => ({ count, baseline: false })), { count: 1000, baseline: true }]): Promise<void> {
  const { fmt } = tools
  const fake = await new DigitalOceanFake().start()
  const db = new pg.Client({ connectionString: tools.databaseUrl })
  await db.connect()
  const results: Array<{ count: number, baseline: boolean, beforeMb: number, burstMb: number, idleMb: number, heapMb: number, p99: number, max: number, ms: number }> = []
  for (const { count, baseline } of runs) {
    const user = { id: `many${count}${randomBytes(3).toString('hex')}`, token: generateToken() }
    await db.query('INSERT INTO users (id, name, is_admin) VALUES ($1, $1, false)', [user.id])
    await db.query('INSERT INTO api_tokens (id, user_id, name, token_hash, prefix) VALUES ($1, $2, $2, $3, $4)', [`${user.id}t`, user.id, hashToken(user.token), tokenPrefix(user.token)])
    const server = await tools.start('bench/stratus-server.ts', { DIGITALOCEAN_API_URL: fake.url, LIST_FRESH_MS: '0', LISTING_BUDGET_PERCENT: '0', NODE_OPTIONS: '--expose-gc' })
    const call = async (method: string, path: string, body?: unknown): Promise<any> => {
      const answer = await fetch(`${server.url}${path}`, {
        method, headers: { authorization: `Bearer ${user.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) })
      })
      const text = await answer.text()
      if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${text}`)
      return JSON.parse(text)
    }
    const addAndList = async (): Promise<string> => {
      const token = `dop_v1_${randomBytes(32).toString('hex')}`
      fake.addDroplet(token)
      const backend = await call('POST', '/backends', { title: 'many', provider: 'digitalocean', token })
      const machines = await call('GET', `/backends/${backend.id}/machines`)
      if (machines.length !== 1) throw new Error(`listed ${machines.length} machines, not 1`)
      return backend.id as string
    }
    // One backend first: what every server loads once (the library, the first driver) is not growth.
    const first = await addAndList()
    // The baseline: as many requests, of the same kinds, on that one backend (a rename and a list).
    const sameBackend = async (): Promise<void> => {
      await call('PUT', `/backends/${first}`, { new_name: `many ${randomBytes(4).toString('hex')}` })
      await call('GET', `/backends/${first}/machines`)
    }
    // The server idles first as it will after the burst, so that both readings are of a heap V8
    // has had the chance to size down (a fresh server's is sized for its start: migrations, schemas).
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
    const before = await loopDelay(server.process)
    const started = performance.now()
    let next = 0
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (next++ < count) baseline ? await sameBackend() : await addAndList() }))
    const ms = performance.now() - started
    const burst = await loopDelay(server.process)
    // Idle again, as a server between bursts: V8's memory reducer gives back what it sized its
    // heap for during the burst. What is left is what the server keeps.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS))
    const idle = await loopDelay(server.process)
    results.push({ count, baseline, beforeMb: before.rssMb, burstMb: burst.rssMb, idleMb: idle.rssMb, heapMb: idle.heapMb - before.heapMb, p99: burst.p99, max: burst.max, ms })
    await tools.stop(server.process)
  }
  await db.end()
  await fake.close()
  console.log(`\nDigitalOcean backends each added and listed once (one droplet each, HTTPS fake), each run on a fresh started server; RSS read idle (${fmt(IDLE_MS / 1000)} s) before, at the end of the burst, and idle after:`)
  for (const result of results) {
    const what = result.baseline ? `baseline: one backend renamed and listed ${fmt(result.count)} times` : `${fmt(result.count)} backends`
    console.log(`  ${what.padEnd(16)} RSS ${fmt(result.beforeMb, 1)} -> ${fmt(result.burstMb, 1)} -> ${fmt(result.idleMb, 1)} MB (live heap ${result.heapMb >= 0 ? '+' : ''}${fmt(result.heapMb, 1)} MB), ` +
      `event-loop delay p99 ${fmt(result.p99, 1)} ms (max ${fmt(result.max, 1)} ms), ${fmt(result.ms)} ms in all`)
  }
  // What backends cost is the difference between two runs of the same procedure, 10 backends and
  // 1,000: a fresh server's own RSS moves by tens of MB as V8 sizes its heap, in both alike.
  const few = results.find((result) => !result.baseline && result.count === 10)
  const many = results.find((result) => !result.baseline && result.count === 1000)
  if (few !== undefined && many !== undefined) {
    const cost = many.idleMb - few.idleMb
    console.log(`${'RSS of 1,000 backends over 10, idle (MB)'.padEnd(42)} ${fmt(cost, 1).padStart(6)}  (target <= 100) ${cost <= 100 ? 'met' : 'MISSED'}`)
  }
}
