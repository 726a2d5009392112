import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { DeferredDriver } from '../../../src/providers/kit/deferred-driver.ts'
import { ProviderRegistry } from '../../../src/providers/provider-registry.ts'
import { SecretBox } from '../../../src/domain/secret-box.ts'
import type { ProviderDriver, ProviderPluginOptions } from '../../../src/providers/driver.ts'
import { TEST_SECRET_KEY } from '../../helper.ts'

/** A driver that records its calls. */
function recordingDriver (calls: string[]): ProviderDriver {
  return {
    checkCredentials: async () => { calls.push('checkCredentials') },
    listSizes: async () => { calls.push('listSizes'); return [] },
    listImages: async () => [],
    listLocations: async () => [],
    listMachines: async () => { calls.push('listMachines'); return [] },
    createMachine: async () => { throw new Error('not here') },
    performAction: async (id, action) => { calls.push(`${action} ${id}`); return {} },
    addTag: async (id, tag) => { calls.push(`tag ${id} ${tag}`) },
    close: async () => { calls.push('close') }
  }
}

t.test('the driver is loaded at its first call, once however many calls come at once', async (t) => {
  const calls: string[] = []
  let loads = 0
  const driver = new DeferredDriver({ followsOperations: false, tags: true }, async () => {
    loads++
    await new Promise((resolve) => setTimeout(resolve, 20))
    return recordingDriver(calls)
  })
  t.equal(loads, 0, 'made, not loaded')
  t.equal(driver.followOperations, undefined, 'a shape without operations has no followOperations')
  t.type(driver.addTag, 'function')
  await Promise.all([driver.listMachines(), driver.listSizes(), driver.performAction('m1', 'shutdown'), driver.addTag!('m1', 'web')])
  t.equal(loads, 1, 'four concurrent first calls, one load')
  t.same(calls.sort(), ['listMachines', 'listSizes', 'shutdown m1', 'tag m1 web'])
  await driver.close()
  t.same(calls.at(-1), 'close', 'a loaded driver is closed')
})

t.test('a driver never called is closed without loading it; a failed load is tried again', async (t) => {
  let loads = 0
  const unused = new DeferredDriver({ followsOperations: true, tags: false }, async () => { loads++; return recordingDriver([]) })
  await unused.close()
  t.equal(loads, 0, 'closing loads nothing')
  t.type(unused.followOperations, 'function')
  t.equal(unused.addTag, undefined)

  let attempts = 0
  const flaky = new DeferredDriver({ followsOperations: false, tags: false }, async () => {
    attempts++
    if (attempts === 1) throw new Error('refused')
    return recordingDriver([])
  })
  await t.rejects(flaky.checkCredentials(), /refused/)
  await flaky.checkCredentials()
  t.equal(attempts, 2, 'the next call loads again')
})

t.test('each cloud connects a deferred driver, shaped as its driver class is', async (t) => {
  const registry = new ProviderRegistry(new SecretBox(Buffer.from(TEST_SECRET_KEY, 'base64')), {
    policy: { timeoutMs: 1000, retries: 0, baseDelayMs: 10, maxDelayMs: 100 },
    log: { warn: () => {} },
    onCredentials: async () => {},
    listingBudgetPercent: 0
  })
  const env = { DOCKER_ALLOWED_HOSTS: 'unix:///var/run/docker.sock' }
  const serviceAccount = JSON.stringify({
    type: 'service_account',
    client_email: 'stratus@project.iam.gserviceaccount.com',
    private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' })
  })
  const clouds = [
    { type: 'ec2', credentials: { api_key: 'AKIAIOSFODNN7EXAMPLE', api_secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, settings: { region: 'eu-west-1' }, driver: async () => (await import('../../../src/providers/ec2/ec2-driver.ts')).Ec2Driver },
    { type: 'gce', credentials: { private_key: serviceAccount }, settings: { project_id: 'p', zone: 'europe-west1-b' }, driver: async () => (await import('../../../src/providers/gce/gce-driver.ts')).GceDriver },
    { type: 'docker', credentials: {}, settings: { host: 'unix:///var/run/docker.sock' }, driver: async () => (await import('../../../src/providers/docker/docker-driver.ts')).DockerDriver },
    { type: 'azure', credentials: { tenant_id: '00000000-0000-0000-0000-000000000001', client_id: '00000000-0000-0000-0000-000000000002', client_secret: 'secret' }, settings: { subscription_id: '00000000-0000-0000-0000-000000000003', resource_group: 'stratus', region: 'westeurope' }, driver: async () => (await import('../../../src/providers/azure/azure-driver.ts')).AzureDriver },
    { type: 'digitalocean', credentials: { token: 'do' }, settings: {}, driver: async () => (await import('../../../src/providers/digitalocean/digitalocean-driver.ts')).DigitalOceanDriver }
  ]
  for (const cloud of clouds) {
    const plugin = (await import(`../../../src/providers/${cloud.type}/index.ts`)).default as (app: FastifyInstance, options: ProviderPluginOptions) => Promise<void>
    await plugin({ providers: registry } as unknown as FastifyInstance, { env })
    const connected = registry.connect(cloud.type, `backend-${cloud.type}`, cloud.credentials, cloud.settings)
    t.ok(connected instanceof DeferredDriver, `${cloud.type}: deferred`)
    const prototype = (await cloud.driver()).prototype as ProviderDriver
    t.equal(typeof connected.followOperations, typeof prototype.followOperations, `${cloud.type}: followOperations as its driver class`)
    t.equal(typeof connected.addTag, typeof prototype.addTag, `${cloud.type}: addTag as its driver class`)
    t.equal(typeof prototype.supports, 'undefined', `${cloud.type}: can do every action on every machine (no supports)`)
    await connected.close?.()
  }
})
