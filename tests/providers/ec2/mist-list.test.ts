import t from 'tap'
import { readFileSync } from 'node:fs'
import { EC2_REGION, Ec2Fake } from '../../fakes/ec2-fake.ts'
import { buildTestApp, json } from '../../helper.ts'

// The backends document's list example is an EC2 instance: its `extra` map, key for key and type
// for type, is what an EC2 backend's list shows (in JSON, and the same fields in XML).
const DOCUMENT_EXTRA = {
  status: 'running',
  productcode: [],
  groups: [null],
  tags: {},
  instanceId: 'i-5ebfdc59',
  dns_name: 'ec2-173-21-215-201.ap-northeast-1.compute.amazonaws.com',
  launchdatetime: '2014-01-13T13:58:03.000Z',
  iam_profile: null,
  imageId: 'ami-2f61fe2e',
  kernelid: 'aki-42992843',
  keyname: 'Mykey',
  availability: 'ap-northeast-1a',
  clienttoken: '',
  launchindex: '0',
  ramdiskid: null,
  private_dns: 'ip-10-153-6-20.ap-northeast-1.compute.internal',
  instancetype: 't1.micro'
}

const kind = (value: unknown): string => value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value

t.test('an EC2 backend\'s machine list shows the document\'s extra fields, under its names', async (t) => {
  const fake = await new Ec2Fake().start()
  t.teardown(() => fake.close())
  const app = await buildTestApp(t, { cloudEnv: { AWS_ENDPOINT_URL_EC2: fake.origin, AWS_ENDPOINT_URL_PRICING: fake.origin } })
  const credentials = fake.account()
  const instance = fake.addInstance(credentials.api_key, { name: 'i-5ebfdc59', type: 't1.micro' })
  instance.tags.set('Backup Machine', '')
  const added = await app.inject({ method: 'POST', url: '/backends', payload: { title: 'EC2 AP NORTHEAST', provider: 'ec2', ...credentials, region: EC2_REGION } })
  t.equal(added.statusCode, 201, added.body)
  const [listed] = json((await app.inject({ method: 'GET', url: `/backends/${json(added.body).id as string}/machines` })).body)
  t.match(listed, { id: instance.id, name: 'i-5ebfdc59', size: 't1.micro', state: 'running', tags: ['Backup Machine'], public_ips: [/^54\./], private_ips: [/^172\./] })
  for (const [key, example] of Object.entries(DOCUMENT_EXTRA)) {
    t.ok(Object.hasOwn(listed.extra, key), `extra.${key} is there`)
    // Fields EC2 leaves empty here (a kernel, a ramdisk, a profile) are null, as the document's are.
    if (listed.extra[key] !== null && example !== null) t.equal(kind(listed.extra[key]), kind(example), `extra.${key} is a ${kind(example)}`)
  }
  t.same(listed.extra.tags, { Name: 'i-5ebfdc59', 'Backup Machine': '' }, 'extra.tags is EC2\'s tag map')
  t.same(listed.extra.groups, ['default'])
  t.equal(listed.extra.launchindex, '0')
  t.ok(readFileSync('docs/clouds.md', 'utf8').includes('`instanceId`'), 'docs/clouds.md names them')

  // Sizes carry their price, its source and the time it was fetched.
  const sizes = json((await app.inject({ method: 'GET', url: `/backends/${json(added.body).id as string}/sizes` })).body)
  t.match(sizes.find((size: { id: string }) => size.id === 't3.micro'), { price: 0.0136, currency: 'USD', price_source: /^AWS Price List Query API \(GetProducts\): Linux on-demand/, fetched_at: String })
  t.match(sizes.find((size: { id: string }) => size.id === 'x9.huge'), { price: null, price_source: /GetProducts/ })
})
