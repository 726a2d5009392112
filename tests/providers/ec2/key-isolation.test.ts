import t from 'tap'
import { SecretBox } from '../../../src/domain/secret-box.ts'
import { Ec2Driver } from '../../../src/providers/ec2/ec2-driver.ts'
import { ProviderRegistry } from '../../../src/providers/provider-registry.ts'
import { EC2_REGION, Ec2Fake } from '../../fakes/ec2-fake.ts'
import { directEc2Driver } from './direct-driver.ts'

// Each EC2 backend's clients are built from its own fields only: two accounts' calls interleave
// on one keep-alive pool, and every request must be signed with its own backend's key (the fake
// checks each signature against the key it names, so a request signed with the other's secret
// would be refused), never the server's environment or ~/.aws.
t.test('two EC2 backends used at once sign every request with their own key', async (t) => {
  const fake = await new Ec2Fake().start()
  t.teardown(() => fake.close())
  fake.latencyMs = 15
  const a = directEc2Driver(fake)
  const b = directEc2Driver(fake)
  // Different shapes: 2,050 instances (3 pages) and 2.
  for (let i = 0; i < 2050; i++) fake.addInstance(a.credentials.api_key)
  for (let i = 0; i < 2; i++) fake.addInstance(b.credentials.api_key)
  const rounds = 5
  await Promise.all([a, b].flatMap(({ driver, credentials }, n) => Array.from({ length: rounds }, async (_, round) => {
    const listed = await driver.listMachines()
    const own = fake.instances(credentials.api_key).map((instance) => instance.id).sort()
    t.same(listed.map((machine) => machine.id).sort(), own, `backend ${n + 1}, round ${round + 1}: its own instances, every page`)
    await driver.addTag(own[round % own.length]!, `round-${round}`)
  })))
  const keys = new Set(fake.requests.map((request) => request.token))
  t.same([...keys].sort(), [a.credentials.api_key, b.credentials.api_key].sort(), 'only the two access keys signed requests')
  const listings = (key: string) => fake.actions.filter((action) => action.accessKeyId === key && action.action === 'DescribeInstances').length
  t.equal(listings(a.credentials.api_key), rounds * 3, 'the large account\'s listings (3 pages each)')
  t.equal(listings(b.credentials.api_key), rounds, 'the small account\'s listings')
  t.ok(fake.requests.some((request, i) => i > 0 && request.token !== fake.requests[i - 1]!.token), 'the two backends\' requests were interleaved')
})

t.test('the server\'s own AWS environment is never used for a backend', async (t) => {
  const fake = await new Ec2Fake().start()
  t.teardown(() => fake.close())
  const saved = { ...process.env }
  t.teardown(() => { process.env = saved })
  const other = fake.account()
  process.env.AWS_ACCESS_KEY_ID = other.api_key
  process.env.AWS_SECRET_ACCESS_KEY = other.api_secret
  process.env.AWS_REGION = 'us-west-2'
  process.env.AWS_PROFILE = 'nonexistent-profile'
  const { driver, credentials } = directEc2Driver(fake)
  await driver.checkCredentials()
  await driver.listMachines()
  t.same([...new Set(fake.requests.map((request) => request.token))], [credentials.api_key], 'signed with the backend\'s key, in its region (the fake serves one region)')
})

t.test('the driver cache evicting one EC2 backend does not cut another\'s calls on the shared pool', async (t) => {
  const fake = await new Ec2Fake().start()
  t.teardown(() => fake.close())
  fake.latencyMs = 100
  // The registry as the server has it, with room for one driver: using b evicts (closes) a's.
  const secrets = new SecretBox(Buffer.alloc(32, 5))
  const registry = new ProviderRegistry(secrets, { policy: { timeoutMs: 5000, retries: 0, baseDelayMs: 10, maxDelayMs: 100 }, log: { warn: () => {} }, onCredentials: async () => {}, listingBudgetPercent: 0, driverCacheSize: 1 })
  registry.define('ec2', { title: 'EC2', machineKind: 'vm', priceSource: 'test', credentials: {}, settings: {}, connect: (backend) => new Ec2Driver(backend, { ec2: fake.origin, pricing: fake.origin }) })
  const row = (id: string, credentials: object) => ({ id, provider: 'ec2', credentials: secrets.sealJson(credentials), settings: { region: EC2_REGION }, updatedAt: new Date(0) })
  const a = fake.account()
  const b = fake.account()
  for (let i = 0; i < 3000; i++) fake.addInstance(a.api_key)
  const listing = registry.driverFor(row('a', a)).listMachines()
  await new Promise((resolve) => setTimeout(resolve, 120))
  await registry.driverFor(row('b', b)).checkCredentials()
  t.equal(registry.cachedDrivers, 1, 'a\'s driver was evicted while its listing ran')
  t.equal((await listing).length, 3000, 'and its listing went on')
})
