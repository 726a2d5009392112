/**
 * Refreshes GCE's shipped price table (src/providers/gce/price-table.json) from the Cloud Billing
 * catalog: `GCE_BILLING_API_KEY=… npm run gce-prices` (an API key of any project with the Cloud
 * Billing API enabled). GCE_BILLING_API_ENDPOINT moves the catalog (a local fake in the tests);
 * `--out <file>` writes elsewhere. Commit the new table: its date is shown with every GCE size.
 */
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fetchPriceTable } from '../src/providers/gce/price-refresh.ts'

const apiKey = process.env.GCE_BILLING_API_KEY ?? ''
if (apiKey === '') {
  console.error('GCE_BILLING_API_KEY is not set: the Cloud Billing catalog needs an API key')
  process.exit(2)
}
const endpoint = (process.env.GCE_BILLING_API_ENDPOINT ?? 'https://cloudbilling.googleapis.com').replace(/\/+$/, '')
const at = process.argv.indexOf('--out')
const out = resolve(at === -1 ? 'src/providers/gce/price-table.json' : process.argv[at + 1] ?? '')
const table = await fetchPriceTable({
  endpoint,
  apiKey,
  policy: { timeoutMs: 30_000, retries: 4, baseDelayMs: 1000, maxDelayMs: 60_000 },
  today: new Date().toISOString().slice(0, 10)
})
const regions = Object.keys(table.regions).length
if (regions === 0) {
  console.error('the catalog answered no Compute Engine rates: the table is left as it was')
  process.exit(1)
}
writeFileSync(out, `${JSON.stringify(table, null, 2)}\n`)
console.log(`wrote ${out}: ${regions} regions, dated ${table.fetched_at}`)
