import t from 'tap'
import { addKey, buildTestApp, eventually, json } from '../../helper.ts'
import { GceFake } from '../../fakes/gce-fake.ts'

// What only the whole server shows for GCE: a create GCE accepts and then fails, the document's
// "Backup Machine" tag through the API, the key checked at add, the sizes with their price source.
const fake = await new GceFake().start()
t.teardown(() => fake.close())
fake.bootMs = 100
fake.operationMs = 100

const app = await buildTestApp(t, { pollIntervalMs: 50, syncIntervalMs: 0, listFreshMs: 0, listingBudgetPercent: 0, cloudEnv: { GCE_API_ENDPOINT: fake.origin } })
const key = await addKey(app)
const addBackend = async (fields: Record<string, unknown>) => app.inject({ method: 'POST', url: '/backends', payload: { title: 'GCE', provider: 'gce', ...fields } })

t.test('a key that is not a service account\'s JSON key is refused at add (422), before any call, and nothing is stored', async (t) => {
  const fields = fake.project()
  const before = fake.requests.length
  for (const privateKey of ['{"type":"authorized_user"}', '{not json}']) {
    const refused = await addBackend({ ...fields, private_key: privateKey })
    t.equal(refused.statusCode, 422, refused.body)
    t.match(json(refused.body).detail, /private_key/)
  }
  t.equal(fake.requests.length, before, 'no call made')
  t.equal(await app.db.backend.count({ where: { provider: 'gce' } }), 0)
})

t.test('the key is sealed and never answered; sizes show the price table as their source and date', async (t) => {
  const fields = fake.project()
  const added = await addBackend(fields)
  t.equal(added.statusCode, 201, added.body)
  t.notMatch(added.body, /PRIVATE KEY|private_key/)
  const backend = json(added.body).id as string
  const row = await app.db.backend.findUniqueOrThrow({ where: { id: backend } })
  t.notMatch(JSON.stringify(row), /BEGIN PRIVATE KEY/, 'sealed at rest')
  const sizes = json((await app.inject({ method: 'GET', url: `/backends/${backend}/sizes` })).body) as Array<Record<string, unknown>>
  t.ok(sizes.length > 0)
  t.match(sizes[0]!.price_source, /GCE price table dated \d{4}-\d{2}-\d{2}/)
})

t.test('a create GCE accepts and then fails shows error, with GCE\'s reason', async (t) => {
  const backend = json((await addBackend(fake.project())).body).id as string
  fake.failNextOperation = { code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'The zone does not have enough resources available to fulfill the request.' }
  const created = await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { name: 'doomed', key, size: 'e2-micro', image: 'debian-12-bookworm-v20261110', location: 'europe-west1-b' } })
  t.equal(created.statusCode, 201, created.body)
  const id = json(created.body).id as string
  const shown = await eventually(async () => {
    const listed = (json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body) as Array<Record<string, unknown>>).find((machine) => machine.id === id)
    return listed?.state === 'error' ? listed : undefined
  }, 5000)
  t.match((shown.extra as Record<string, unknown>).last_error, /^gce: ZONE_RESOURCE_POOL_EXHAUSTED: The zone does not have enough resources/)
  const transitions = await app.db.transition.findMany({ where: { machine: { providerId: id } }, orderBy: { id: 'asc' } })
  t.same(transitions.map((row) => [row.toState, row.cause]), [['pending', 'api_action'], ['error', 'action_failed']])
})

t.test('the document\'s tag "Backup Machine" through the API: a valid label at GCE, the tag it was in the list', async (t) => {
  const backend = json((await addBackend(fake.project())).body).id as string
  const created = await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { name: 'Backup Machine', key, size: '1000', image: 'debian-12-bookworm-v20261110', location: 'europe-west1-b' } })
  t.equal(created.statusCode, 201, created.body)
  const id = json(created.body).id as string
  t.match(id, /^europe-west1-b~backup-machine-[0-9a-f]{8}$/, 'a name GCE takes')
  const tagged = await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${id}/metadata`, payload: { tag: 'Backup Machine' } })
  t.equal(tagged.statusCode, 200, tagged.body)
  const listed = (json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body) as Array<Record<string, unknown>>).find((machine) => machine.id === id)!
  t.equal(listed.name, 'Backup Machine', 'the name it was created with')
  t.same(listed.tags, ['Backup Machine'])
  t.match(listed.size, 'n1-standard-1', 'the numeric size id named its machine type')
})
