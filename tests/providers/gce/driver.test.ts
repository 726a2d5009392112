import t from 'tap'
import { ProviderError } from '../../../src/providers/provider-error.ts'
import { generateKeyPair } from '../../../src/domain/ssh-keys.ts'
import { CLIENT_TOKEN_LABEL, instanceNameOf, labelOf, tagOf } from '../../../src/providers/gce/names.ts'
import { hourlyPriceOf, GCE_PRICE_TABLE } from '../../../src/providers/gce/prices.ts'
import { GceFake } from '../../fakes/gce-fake.ts'
import { directGceDriver } from './direct-driver.ts'

const fake = await new GceFake().start()
t.teardown(() => fake.close())
fake.bootMs = 100
fake.operationMs = 100

const KEY = generateKeyPair('test').publicKey
const spec = (fields: Record<string, unknown> = {}) => ({
  name: 'web-1',
  size: 'e2-micro',
  image: 'debian-12-bookworm-v20261110',
  location: 'europe-west1-b',
  clientToken: crypto.randomUUID(),
  publicKey: KEY,
  script: '#!/bin/sh\necho hello',
  adminPassword: 'x',
  monitoring: false,
  providerFields: {},
  ...fields
})
const until = async (check: () => Promise<boolean>) => {
  const deadline = Date.now() + 5000
  while (!await check()) {
    if (Date.now() > deadline) throw new Error('not in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

t.test('credentials: the project\'s own key passes; another key for the same account is refused', async (t) => {
  const { driver, fields } = directGceDriver(fake)
  await driver.checkCredentials()
  const { driver: forged } = directGceDriver(fake, { fields: { ...fields, private_key: GceFake.foreignKey(fields) } })
  const refused = await forged.checkCredentials().catch((error: unknown) => error)
  t.ok(refused instanceof ProviderError && refused.failure === 'credentials-rejected', String(refused))
  const { driver: elsewhere } = directGceDriver(fake, { settings: { project_id: fake.project().project_id } })
  const foreign = await elsewhere.checkCredentials().catch((error: unknown) => error)
  t.ok(foreign instanceof ProviderError && foreign.failure === 'credentials-rejected', `another project is refused too: ${String(foreign)}`)
})

t.test('sizes: the zone\'s machine types priced from the dated table; shared-core fractions; null where the table has no rate', async (t) => {
  const { driver } = directGceDriver(fake)
  const sizes = await driver.listSizes()
  // europe-west1 is not in the shipped table: no prices there, never a guess.
  t.ok(sizes.every((size) => size.hourlyPrice === null), 'a region the table does not hold: null')
  const { driver: us } = directGceDriver(fake, { settings: { zone: 'us-central1-a' } })
  const priced = await us.listSizes()
  t.same(priced.map((size) => [size.id, size.cloudId, size.hourlyPrice]), [
    ['f1-micro', '1000000', null],
    ['n1-standard-1', '1000', '0.047500'],
    ['e2-micro', '334002', '0.008376'],
    ['e2-standard-2', '335002', '0.067006'],
    ['a9-mega-96', '9999', null]
  ])
  t.equal(hourlyPriceOf(GCE_PRICE_TABLE, 'us-central1', 'e2-medium', 2, 4096), '0.033503', 'e2-medium bills one vCPU of its two')
  t.match(GCE_PRICE_TABLE.fetched_at, /^\d{4}-\d{2}-\d{2}$/)
})

t.test('images: the project\'s own (not deprecated) and the newest of each public family; locations: the zones', async (t) => {
  const { driver, project } = directGceDriver(fake)
  fake.addImage(project, 'golden-1')
  fake.addImage(project, 'golden-0', { deprecated: 'DEPRECATED' })
  const images = await driver.listImages()
  t.same(images.map((image) => image.id), ['golden-1', 'debian-12-bookworm-v20261110', 'ubuntu-2404-noble-amd64-v20261101', 'rocky-linux-9-v20261020'], 'cos-stable is not on the fake: left out, not a failure')
  t.equal(images[1]!.extra.id, '5298942163210525420')
  t.same((await driver.listLocations()).map((location) => [location.id, location.country]), [['europe-west1-b', 'BE'], ['europe-west1-c', 'BE'], ['us-central1-a', 'US']])
})

t.test('create: a name GCE takes, the original in the description; key and script as metadata; uuid as label and requestId', async (t) => {
  const { driver, project } = directGceDriver(fake)
  const refusedBefore = fake.refusedTokens.length
  const uuid = crypto.randomUUID()
  const made = await driver.createMachine(spec({ name: 'Backup Machine', clientToken: uuid, image: '5298942163210525420', location: '2222' }))
  const name = instanceNameOf('Backup Machine', uuid)
  t.match(name, /^backup-machine-[0-9a-f]{8}$/)
  t.equal(made.id, `europe-west1-c~${name}`, 'the numeric zone id named the zone')
  t.equal(made.name, 'Backup Machine')
  t.ok(made.operation !== undefined, 'the insert\'s operation, to follow')
  const instance = fake.instance(project, made.id)
  t.equal(instance.description, 'Backup Machine')
  t.equal(instance.labels[CLIENT_TOKEN_LABEL], uuid)
  t.match(instance.sourceImage, /projects\/debian-cloud\/global\/images\/debian-12-bookworm-v20261110$/, 'the numeric image id named the image')
  t.same(instance.metadata.map((item) => item.key), ['ssh-keys', 'startup-script'])
  t.match(instance.metadata[0]!.value, /^stratus:ssh-/)
  const again = await driver.createMachine(spec({ name: 'Backup Machine', clientToken: uuid, image: '5298942163210525420', location: '2222' }))
  t.equal(again.id, made.id, 'sent again with the same requestId: the same instance')
  t.equal(fake.instances(project).length, 1, 'not two')
  await until(async () => (await driver.listMachines()).find((machine) => machine.id === made.id)?.state === 'running')
  const listed = (await driver.listMachines()).find((machine) => machine.id === made.id)!
  t.match(listed, { name: 'Backup Machine', clientToken: uuid, size: 'e2-micro', location: 'europe-west1-c', tags: [] })
  t.ok(listed.publicIps.length === 1 && listed.privateIps.length === 1)
  t.equal(fake.refusedTokens.length, refusedBefore, 'every request signed by the project\'s key')
})

t.test('actions are zone operations, followed many at once: one filtered list call per zone', async (t) => {
  const { driver, project } = directGceDriver(fake)
  // Operations long enough to be seen running on a loaded machine (the actions and the first look take a while).
  fake.operationMs = 2000
  t.teardown(() => { fake.operationMs = 100 })
  const ids = [fake.addInstance(project, { zone: 'europe-west1-b' }), fake.addInstance(project, { zone: 'europe-west1-b' }), fake.addInstance(project, { zone: 'europe-west1-b' }), fake.addInstance(project, { zone: 'us-central1-a' })]
    .map((instance) => `${instance.zone}~${instance.name}`)
  const operations = await Promise.all(ids.map(async (id) => (await driver.performAction(id, 'shutdown')).operation))
  const before = fake.requests.length
  const first = await driver.followOperations(operations)
  t.equal(first.calls, 2, 'two zones: two calls, for four operations')
  t.equal(fake.requests.length - before, 2)
  t.ok(fake.requests.slice(before).every((request) => request.path.includes('/operations?filter=')), 'the zones\' operation lists, filtered')
  t.ok([...first.outcomes.values()].every((outcome) => !outcome.done), 'still running')
  await new Promise((resolve) => setTimeout(resolve, 2100))
  const second = await driver.followOperations(operations)
  t.same([...second.outcomes.values()], operations.map(() => ({ done: true, error: null })))
  t.ok(ids.every((id) => fake.instance(project, id).status === 'TERMINATED'), 'TERMINATED: stopped')
  t.ok((await driver.listMachines()).every((machine) => machine.state === 'stopped'))
})

t.test('an operation GCE ends with an error is an outcome with GCE\'s reason', async (t) => {
  const { driver, project } = directGceDriver(fake)
  const instance = fake.addInstance(project, { status: 'TERMINATED' })
  fake.failNextOperation = { code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'not enough resources' }
  const { operation } = await driver.performAction(`${instance.zone}~${instance.name}`, 'start')
  await new Promise((resolve) => setTimeout(resolve, 150))
  const looks = await driver.followOperations([operation])
  t.same(looks.outcomes.get(operation), { done: true, error: 'gce: ZONE_RESOURCE_POOL_EXHAUSTED: not enough resources' })
  t.equal(instance.status, 'TERMINATED')
})

t.test('SUSPENDED is suspended, and start resumes it', async (t) => {
  const { driver, project } = directGceDriver(fake)
  const instance = fake.addInstance(project, { status: 'SUSPENDED' })
  const id = `${instance.zone}~${instance.name}`
  t.equal((await driver.listMachines()).find((machine) => machine.id === id)?.state, 'suspended')
  await driver.performAction(id, 'start')
  t.equal(instance.status, 'STAGING')
  t.ok(fake.requests.some((request) => request.path.endsWith(`/instances/${instance.name}/resume`)), 'instances.resume, not start')
  await until(async () => (await driver.listMachines()).find((machine) => machine.id === id)?.state === 'running')
})

t.test('an unknown status is unknown, logged once', async (t) => {
  const { driver, project, warnings } = directGceDriver(fake)
  fake.addInstance(project, { status: 'HIBERNATING' })
  fake.addInstance(project, { status: 'HIBERNATING' })
  t.same((await driver.listMachines()).map((machine) => machine.state), ['unknown', 'unknown'])
  t.equal(warnings.filter((warning) => warning.status === 'HIBERNATING').length, 1)
})

t.test('tags are labels: the document\'s "Backup Machine" becomes a valid label and reads back as the tag it was', async (t) => {
  const { driver, project } = directGceDriver(fake)
  const instance = fake.addInstance(project)
  const id = `${instance.zone}~${instance.name}`
  for (const tag of ['Backup Machine', 'prod', 'env=staging', 'Ünïcode tag']) await driver.addTag(id, tag)
  t.ok(Object.entries(instance.labels).every(([key, value]) => /^[a-z][-_a-z0-9]{0,62}$/.test(key) && /^[-_a-z0-9]{0,63}$/.test(value)), JSON.stringify(instance.labels))
  t.same((await driver.listMachines())[0]!.tags, ['Backup Machine', 'env=staging', 'prod', 'Ünïcode tag'].sort())
  t.equal(labelOf('x'.repeat(64)), null, 'too long for a label')
  t.equal(tagOf('team', 'web'), 'team=web', 'a label set by hand reads as key=value')
  const rejected = await driver.addTag(id, 'A'.repeat(40)).catch((error: unknown) => error)
  t.ok(rejected instanceof ProviderError && rejected.failure === 'invalid-request')
})

t.test('a stale label fingerprint (412): the labels are read again, and a label set meanwhile is kept', async (t) => {
  const { driver, project } = directGceDriver(fake)
  const instance = fake.addInstance(project, { labels: { owner: 'ops' } })
  const id = `${instance.zone}~${instance.name}`
  let moved = false
  fake.faults.add({
    status: -1,
    match: (request) => {
      // Someone sets a label between our read and our write, once.
      if (!moved && request.url.pathname.endsWith('/setLabels')) { moved = true; fake.setLabelOutside(project, id, 'cost-center', 'c42') }
      return false
    }
  })
  await driver.addTag(id, 'prod')
  t.ok(moved)
  t.same(instance.labels, { owner: 'ops', 'cost-center': 'c42', prod: '' })
  t.ok(fake.requests.filter((request) => request.path.endsWith('/setLabels')).length >= 2, 'the first write was refused 412 and sent again')
})

t.test('a rate quota answered 403 rateLimitExceeded is waited out and retried, not taken for refused credentials', async (t) => {
  const { driver, project } = directGceDriver(fake)
  fake.faults.add({ status: 403, times: 1, match: (request) => fake.isFrom(request, project) })
  t.same(await driver.listMachines(), [])
  fake.faults.add({ status: 403, times: 5, match: (request) => fake.isFrom(request, project) })
  const throttled = await driver.listMachines().catch((error: unknown) => error)
  t.ok(throttled instanceof ProviderError && throttled.failure === 'rate-limited', String(throttled))
  fake.faults.clear()
})

t.test('the SDK does not retry by itself: a 500 is sent 1 + PROVIDER_RETRIES times, no more', async (t) => {
  const { driver, project } = directGceDriver(fake, { policy: { retries: 2 } })
  fake.faults.add({ status: 500, times: 10, match: (request) => fake.isFrom(request, project) })
  const before = fake.requests.filter((request) => request.path.includes(project)).length
  const failed = await driver.listMachines().catch((error: unknown) => error)
  t.ok(failed instanceof ProviderError && failed.failure === 'server-error', String(failed))
  t.equal(fake.requests.filter((request) => request.path.includes(project)).length - before, 3)
  fake.faults.clear()
})

t.test('every page of the aggregated list, 500 a call', async (t) => {
  const { driver, project } = directGceDriver(fake)
  fake.pageSize = 500
  for (let i = 0; i < 1203; i++) fake.addInstance(project, { zone: i % 2 === 0 ? 'europe-west1-b' : 'us-central1-a' })
  const before = fake.requests.length
  t.equal((await driver.listMachines()).length, 1203)
  t.equal(fake.requests.length - before, 3, 'three pages')
})
