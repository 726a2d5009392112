import t from 'tap'
import { addSandboxBackend, buildTestApp, json } from '../helper.ts'

t.test('sizes carry hourly prices, fetched once and reused', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const first = await app.inject({ method: 'GET', url: `/backends/${backend}/sizes` })
  t.equal(first.statusCode, 200)
  const sizes = json(first.body)
  t.match(sizes.find((s: { id: string }) => s.id === 'sbx.medium'), { name: String, cpus: 2, ram: 4096, disk: 50, price: 0.0416, currency: 'USD', fetched_at: String })
  const stored = await app.db.size.findMany({ where: { backendId: backend } })
  t.equal(stored.length, sizes.length, 'persisted with their prices')
  const again = json((await app.inject({ method: 'GET', url: `/backends/${backend}/sizes` })).body)
  t.equal(again[0].fetched_at, sizes[0].fetched_at, 'served from the cache')

  const xml = await app.inject({ method: 'GET', url: `/backends/${backend}/sizes`, headers: { accept: 'application/xml' } })
  t.match(xml.body, /<sizes><size><id>sbx.large<\/id><name>Large \(4 vCPU, 16 GiB\)<\/name><cpus>4<\/cpus><ram>16384<\/ram><disk>100<\/disk><price>0.1664<\/price><currency>USD<\/currency>/)
})

t.test('images and locations', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const images = json((await app.inject({ method: 'GET', url: `/backends/${backend}/images` })).body)
  t.match(images, [{ id: 'ubuntu-24.04', name: String, extra: { os: 'linux' } }])
  const locations = await app.inject({ method: 'GET', url: `/backends/${backend}/locations`, headers: { accept: 'application/xml' } })
  t.match(locations.body, /<locations><location><id>sbx-eu-1<\/id><name>Sandbox Amsterdam<\/name><country>NL<\/country><\/location>/)
})

t.test('provider failures map to 502, 503 (with Retry-After) and 504', async (t) => {
  const app = await buildTestApp(t)
  const cases: Array<[string, number, string]> = [
    ['timeout', 504, 'provider-timeout'],
    ['unavailable', 503, 'provider-unavailable'],
    ['rate-limited', 503, 'provider-unavailable'],
    ['server-error', 502, 'provider-error'],
    ['credentials-rejected', 502, 'provider-credentials-rejected']
  ]
  for (const [fault, status, type] of cases) {
    const backend = await addSandboxBackend(app, { faults: { catalog: fault } })
    for (const what of ['sizes', 'images', 'locations']) {
      const res = await app.inject({ method: 'GET', url: `/backends/${backend}/${what}` })
      t.equal(res.statusCode, status, `${fault} ${what}`)
      t.equal(json(res.body).type, `/problems/${type}`)
      if (status === 503) t.ok(Number(res.headers['retry-after']) > 0, 'Retry-After')
    }
    t.notMatch((await app.inject({ method: 'GET', url: `/backends/${backend}/sizes` })).body, /sandbox-secret-key/)
  }
  t.equal(await app.db.size.count(), 0, 'nothing cached from a failed fetch')
})
