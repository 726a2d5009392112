import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fetchPriceTable } from '../../../src/providers/gce/price-refresh.ts'
import { hourlyPriceOf } from '../../../src/providers/gce/prices.ts'
import { GceBillingFake } from '../../fakes/gce-billing-fake.ts'

const fake = await new GceBillingFake().start()
t.teardown(() => fake.close())
const policy = { timeoutMs: 5000, retries: 2, baseDelayMs: 10, maxDelayMs: 5000 }

t.test('the table from the catalog: every page, on-demand predefined families per region, first-tier USD rates', async (t) => {
  const table = await fetchPriceTable({ endpoint: fake.origin, apiKey: fake.apiKey, policy, today: '2026-12-06' })
  t.same(table.regions, {
    'europe-west1': { e2: { core: '0.023993', ram: '0.003216' } },
    'us-central1': { e2: { core: '0.021811', ram: '0.002923' }, n1: { core: '0.031611', ram: '0.004237' } },
    'us-east1': { e2: { core: '0.021811', ram: '0.002923' } }
  }, 'spot, commitments, custom types, a family with one rate and later tiers are left out')
  t.equal(table.fetched_at, '2026-12-06')
  t.equal(fake.requests.filter((request) => request.path.startsWith('/v1/services/')).length, 4, 'four pages of three')
  t.equal(hourlyPriceOf(table, 'europe-west1', 'e2-standard-2', 2, 8192), '0.073714', 'the refreshed table prices sizes')
})

t.test('a 429 is waited out; a key the catalog refuses fails the refresh', async (t) => {
  fake.faults.add({ status: 429, headers: { 'retry-after': '1' } })
  const started = Date.now()
  await fetchPriceTable({ endpoint: fake.origin, apiKey: fake.apiKey, policy, today: '2026-12-06' })
  t.ok(Date.now() - started >= 900, 'Retry-After honoured')
  const refused = await fetchPriceTable({ endpoint: fake.origin, apiKey: 'wrong', policy, today: '2026-12-06' }).catch((error: unknown) => error)
  t.match(String(refused), /API key not valid/)
})

t.test('npm run gce-prices: the command writes the table where it is told', async (t) => {
  const out = join(tmpdir(), `gce-prices-${process.pid}.json`)
  const run = promisify(execFile)
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/gce-prices.ts', '--out', out], {
    env: { ...process.env, GCE_BILLING_API_KEY: fake.apiKey, GCE_BILLING_API_ENDPOINT: fake.origin }
  })
  t.match(stdout, /3 regions, dated \d{4}-\d{2}-\d{2}/)
  const written = JSON.parse(readFileSync(out, 'utf8')) as { regions: Record<string, unknown> }
  t.same(Object.keys(written.regions), ['europe-west1', 'us-central1', 'us-east1'])
  const missing = await run(process.execPath, ['--import', 'tsx', 'scripts/gce-prices.ts', '--out', out], { env: { ...process.env, GCE_BILLING_API_KEY: '' } }).catch((error: unknown) => error)
  t.match(String((missing as { stderr?: string }).stderr), /GCE_BILLING_API_KEY is not set/)
})
