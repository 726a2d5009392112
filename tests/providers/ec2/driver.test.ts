import t from 'tap'
import { ProviderError } from '../../../src/providers/provider-error.ts'
import { generateKeyPair } from '../../../src/domain/ssh-keys.ts'
import { EC2_ZONES, Ec2Fake } from '../../fakes/ec2-fake.ts'
import { directEc2Driver } from './direct-driver.ts'

const fake = await new Ec2Fake().start()
t.teardown(() => fake.close())
fake.bootMs = 100
fake.actionMs = 100

const KEY = generateKeyPair('test').publicKey
const spec = (fields: Record<string, unknown> = {}) => ({
  name: 'web-1',
  size: 't3.micro',
  image: 'ami-0a1b2c3d4e5f60002',
  location: '0',
  clientToken: crypto.randomUUID(),
  publicKey: KEY,
  script: '#!/bin/sh\necho hello',
  adminPassword: 'x',
  monitoring: true,
  providerFields: {},
  ...fields
})

t.test('credentials: a key EC2 knows passes; a wrong secret is refused (its signature does not match)', async (t) => {
  const { driver, credentials } = directEc2Driver(fake)
  await driver.checkCredentials()
  const { driver: wrong } = directEc2Driver(fake)
  const forged = new (driver.constructor as typeof import('../../../src/providers/ec2/ec2-driver.ts').Ec2Driver)({
    id: 'forged', credentials: { ...credentials, api_secret: 'not-the-secret-at-all' }, settings: { region: 'ap-northeast-1' }, policy: { timeoutMs: 5000, retries: 0, baseDelayMs: 10, maxDelayMs: 100 }, log: { warn: () => {} }
  }, { ec2: fake.origin, pricing: fake.origin })
  const refused = await forged.checkCredentials().catch((error: unknown) => error)
  t.ok(refused instanceof ProviderError && refused.failure === 'credentials-rejected', String(refused))
  t.match(String((refused as Error).message), /SignatureDoesNotMatch/)
  await wrong.checkCredentials()
})

t.test('sizes: the region\'s offered types, with Linux on-demand prices; a type the list does not price is null', async (t) => {
  const { driver } = directEc2Driver(fake)
  const sizes = await driver.listSizes()
  t.same(sizes.map((size) => [size.id, size.hourlyPrice]), [['t1.micro', '0.026000'], ['t3.micro', '0.013600'], ['m5d.large', '0.141000'], ['x9.huge', null]])
  t.match(sizes.find((size) => size.id === 'm5d.large'), { cpus: 2, ramMb: 8192, diskGb: 75, currency: 'USD' })
})

t.test('a price list that refuses the key leaves every price null, logged once', async (t) => {
  const { driver, warnings } = directEc2Driver(fake, { account: { pricesAllowed: false } })
  t.ok((await driver.listSizes()).every((size) => size.hourlyPrice === null))
  await driver.listSizes()
  t.equal(warnings.length, 1)
})

t.test('images and locations', async (t) => {
  const { driver } = directEc2Driver(fake, { settings: { images: ['ami-2f61fe2e'] } })
  const images = await driver.listImages()
  t.same(images.map((image) => image.name), ['my-golden-image', 'al2023-ami-2023.9.20261101.0-kernel-6.12-x86_64', 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261015', 'debian-12-amd64-20261020-1234', 'someone-elses-image'])
  t.same((await driver.listLocations()).map((location) => [location.id, location.country]), EC2_ZONES.map((zone) => [zone, 'JP']))
})

t.test('create, list, act, tag: an instance through its life', async (t) => {
  const { driver, credentials } = directEc2Driver(fake)
  const made = await driver.createMachine(spec())
  t.match(made, { state: 'pending', size: 't3.micro', location: EC2_ZONES[0], name: 'web-1' })
  const again = await driver.createMachine({ ...spec(), clientToken: made.clientToken! })
  t.equal(again.id, made.id, 'the same ClientToken answers the same instance')
  const [instance] = fake.instances(credentials.api_key)
  t.equal(fake.instances(credentials.api_key).length, 1)
  t.match(instance, { keyName: /^stratus-/, monitoring: true, userData: Buffer.from('#!/bin/sh\necho hello').toString('base64') })
  await driver.createMachine(spec({ name: 'web-2', location: EC2_ZONES[2] }))
  t.equal(fake.instances(credentials.api_key).length, 2)
  t.equal([...new Set(fake.instances(credentials.api_key).map((i) => i.keyName))].length, 1, 'one key pair for one key')
  await new Promise((resolve) => setTimeout(resolve, 150))
  const listed = (await driver.listMachines()).find((machine) => machine.id === made.id)!
  t.match(listed, { state: 'running', clientToken: made.clientToken, publicIps: [/^54\./], privateIps: [/^172\.31\./] })
  t.match(listed.extra, { instanceId: made.id, instancetype: 't3.micro', availability: EC2_ZONES[0], status: 'running', keyname: /^stratus-/, tags: { Name: 'web-1' }, iam_profile: null })
  await driver.addTag(made.id, 'Backup Machine')
  await driver.addTag(made.id, 'env=prod')
  t.same((await driver.listMachines()).find((machine) => machine.id === made.id)!.tags, ['Backup Machine', 'env=prod'])
  // What follows looks at states in progress: they last ten seconds, however slow a loaded machine
  // is between the call and the listing (CI once saw the 100 ms stop end before it).
  fake.actionMs = 10_000
  t.teardown(() => { fake.actionMs = 100 })
  await driver.performAction(made.id, 'shutdown')
  t.equal((await driver.listMachines()).find((machine) => machine.id === made.id)!.state, 'stopping')
  const refused = await driver.performAction(made.id, 'reboot').catch((error: unknown) => error)
  t.ok(refused instanceof ProviderError && refused.failure === 'invalid-request', 'EC2 refuses a reboot of a stopping instance')
  await driver.performAction(made.id, 'destroy')
  t.equal((await driver.listMachines()).find((machine) => machine.id === made.id)!.state, 'destroying')
  const gone = await driver.performAction('i-0000000000000dead', 'start').catch((error: unknown) => error)
  t.ok(gone instanceof ProviderError && gone.failure === 'not-found')
})

t.test('no default VPC and no subnet_id: the create is refused saying so', async (t) => {
  const { driver } = directEc2Driver(fake, { account: { defaultVpc: false } })
  const refused = await driver.createMachine(spec()).catch((error: unknown) => error)
  t.ok(refused instanceof ProviderError && refused.failure === 'invalid-request')
  t.match(String((refused as Error).message), /no default VPC; give the backend a subnet_id/)
  const { driver: withSubnet } = directEc2Driver(fake, { account: { defaultVpc: false }, settings: { subnet_id: 'subnet-0123456789abcdef0' } })
  t.match(await withSubnet.createMachine(spec()), { state: 'pending' })
})
