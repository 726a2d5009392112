import t from 'tap'
import { listingCalls, listingSpacingMs } from '../../../src/providers/kit/listing-budget.ts'
import { buildTestApp, eventually } from '../../helper.ts'
import { DigitalOceanFake } from '../../fakes/digitalocean-fake.ts'

const DIGITALOCEAN = { requestsPerHour: 5000, machinesPerCall: 200, callsPerListing: 1 }
const AZURE = { requestsPerHour: 12_000, machinesPerCall: 100, callsPerListing: 3 }

t.test('the spacing of listings keeps them within the share of the cloud\'s budget', async (t) => {
  t.equal(listingCalls(DIGITALOCEAN, 0), 1, 'an empty account still costs a call')
  t.equal(listingCalls(DIGITALOCEAN, 10_000), 50)
  t.equal(listingSpacingMs(DIGITALOCEAN, 10_000, 50), 72_000, '10,000 droplets at half of 5,000 an hour: once every 72 s')
  t.equal(listingSpacingMs(DIGITALOCEAN, 1, 50), 1440, 'one page at half the budget: 2,500 listings an hour')
  t.equal(listingSpacingMs(AZURE, 250, 50), 5400, 'Azure: three lists of three pages')
  t.equal(listingSpacingMs(AZURE, 10, 50, 20), 13_800, 'Azure: a pass that also looked at 20 operations cost 23 calls')
  t.equal(listingSpacingMs(undefined, 10_000, 50), 0, 'a provider without a budget (the simulator) is not paced')
  t.equal(listingSpacingMs(DIGITALOCEAN, 10_000, 0), 0, 'LISTING_BUDGET_PERCENT=0: not paced')
})

t.test('a DigitalOcean backend is listed no more often than its budget allows, by lists and by the watch', async (t) => {
  const fake = await new DigitalOceanFake({ actionMs: 100 }).start()
  t.teardown(() => fake.close())
  const token = 'dop_v1_' + 'e'.repeat(64)
  for (let i = 0; i < 450; i++) fake.addDroplet(token)
  // 450 droplets are 3 pages; at the whole budget (5,000 an hour) one listing every 2,160 ms.
  // A lease shorter than that: the watch waits for its turn as a fresh job, not past its lease.
  const app = await buildTestApp(t, { cloudEnv: { DIGITALOCEAN_API_URL: fake.url }, listingBudgetPercent: 100, listFreshMs: 0, pollIntervalMs: 50, watchLeaseMs: 1000, syncIntervalMs: 0 })
  const added = await app.inject({ method: 'POST', url: '/backends', payload: { title: 'paced', provider: 'digitalocean', token } })
  const backend = JSON.parse(added.body).id as string
  const listings = () => fake.requests.filter((request) => request.path === '/v2/droplets?per_page=200').map((request) => request.at)
  const list = async () => JSON.parse((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body) as Array<{ id: string, state: string }>

  const machines = await list()
  t.equal(machines.length, 450, 'the first list lists the cloud (3 pages)')
  const droplet = machines[0]!.id
  t.equal((await list()).length, 450)
  t.equal(listings().length, 1, 'a list right after is answered from the records')

  const stopped = await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${droplet}`, payload: { action: 'shutdown' } })
  t.equal(stopped.statusCode, 202, stopped.body)
  await eventually(async () => (await app.db.machine.findFirst({ where: { backendId: backend, providerId: droplet } }))?.state === 'stopped', 10_000)
  const starts = listings()
  t.ok(starts.length >= 2, 'the watch listed the backend again')
  const gaps = starts.slice(1).map((at, i) => at - starts[i]!)
  t.ok(gaps.every((gap) => gap >= 2100), `listings at least 2,160 ms apart (gaps: ${gaps.join(', ')} ms)`)
})
