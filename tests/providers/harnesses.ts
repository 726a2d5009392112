import { randomBytes, randomUUID } from 'node:crypto'
import type { Stratus } from '../started-server.ts'
import { DigitalOceanFake } from '../fakes/digitalocean-fake.ts'
import { AzureFake } from '../fakes/azure-fake.ts'
import { EC2_REGION, Ec2Fake } from '../fakes/ec2-fake.ts'
import { GceFake } from '../fakes/gce-fake.ts'
import { DOCUMENT_IMAGE_ID, DockerFake } from '../fakes/docker-fake.ts'
import { CLIENT_TOKEN_LABEL, tagOf } from '../../src/providers/gce/names.ts'
import type { CloudAccount, ProviderHarness } from './harness.ts'

/** The built-in simulator: its cloud side is its own table. */
export function sandboxHarness (): ProviderHarness {
  return {
    provider: 'sandbox',
    env: {},
    machine: { size: 'sbx.small', image: 'debian-12', location: 'sbx-eu-1' },
    account: async (stratus: Stratus): Promise<CloudAccount> => ({
      fields: { api_key: 'sandbox-secret-key', boot_delay_ms: 150, stop_delay_ms: 150 },
      addOutside: async (backend, name) => {
        const row = await stratus.db.sandboxInstance.create({
          data: { id: `sbx-${randomBytes(6).toString('hex')}`, account: backend, clientToken: randomUUID(), name, size: 'sbx.small', image: 'debian-12', location: 'sbx-eu-1', state: 'running', publicIp: '203.0.113.77', privateIp: '10.20.0.77' }
        })
        return row.id
      },
      stopOutside: async (_backend, id) => { await stratus.db.sandboxInstance.update({ where: { id }, data: { state: 'stopped' } }) },
      removeOutside: async (_backend, id) => { await stratus.db.sandboxInstance.delete({ where: { id } }) },
      tagsAt: async (_backend, id) => (await stratus.db.sandboxInstance.findUniqueOrThrow({ where: { id } })).tags,
      count: async (backend) => stratus.db.sandboxInstance.count({ where: { account: backend, state: { not: 'terminated' } } })
    }),
    badCredentials: (fields) => ({ ...fields, faults: { credentials: 'credentials-rejected' } }),
    close: async () => {}
  }
}

export async function digitaloceanHarness (): Promise<ProviderHarness> {
  const fake = await new DigitalOceanFake({ bootMs: 150, actionMs: 150 }).start()
  const tokenOf = new Map<CloudAccount, string>()
  const account = async (): Promise<CloudAccount> => {
    const token = `dop_v1_${randomBytes(24).toString('hex')}`
    fake.account(token)
    const droplet = (id: string) => fake.droplets(token).find((candidate) => String(candidate.id) === id)!
    const cloud: CloudAccount = {
      fields: { token },
      addOutside: async (_backend, name) => String(fake.addDroplet(token, { name }).id),
      stopOutside: async (_backend, id) => { droplet(id).status = 'off' },
      removeOutside: async (_backend, id) => { fake.account(token).droplets.delete(Number(id)) },
      tagsAt: async (_backend, id) => droplet(id).tags.filter((tag) => !tag.startsWith('stratus-client-token:')),
      count: async () => fake.droplets(token).length
    }
    tokenOf.set(cloud, token)
    return cloud
  }
  return {
    provider: 'digitalocean',
    env: { DIGITALOCEAN_API_URL: fake.url },
    machine: { size: 's-1vcpu-1gb', image: 'ubuntu-24-04-x64', location: 'ams3' },
    account,
    badCredentials: (fields) => ({ ...fields, token: 'dop_v1_revoked' }),
    faults: {
      fail: (cloud, status, times, headers) => fake.faults.add({ status, times, ...(headers === undefined ? {} : { headers }), match: (request) => request.headers.authorization === `Bearer ${tokenOf.get(cloud)!}` }),
      clear: () => fake.faults.clear(),
      failNextOperation: () => { fake.failNextAction = true; return /^digitalocean: the power_on action errored/ },
      loseCreateAnswer: (cloud, delayMs) => fake.faults.add({ status: -1, delayMs, match: (request) => request.method === 'POST' && request.url.pathname === '/v2/droplets' && request.headers.authorization === `Bearer ${tokenOf.get(cloud)!}` })
    },
    paging: { pageSize: 200, addMany: async (cloud, count) => { for (let i = 0; i < count; i++) fake.addDroplet(tokenOf.get(cloud)!) } },
    close: async () => fake.close()
  }
}

export async function azureHarness (): Promise<ProviderHarness> {
  const fake = await new AzureFake().start()
  fake.bootMs = 150
  fake.actionMs = 150
  const subscriptionOf = new Map<CloudAccount, string>()
  const account = async (): Promise<CloudAccount> => {
    const credentials = fake.principal()
    const sub = credentials.subscription_id
    const vm = (id: string) => fake.vms(sub).find((candidate) => `${candidate.id.split('/')[4]}~${candidate.name}`.toLowerCase() === id)!
    const cloud: CloudAccount = {
      fields: { ...credentials, resource_group: 'stratus-rg', region: 'westeurope' },
      addOutside: async (_backend, name) => { fake.addVm(sub, 'portal-rg', name); return `portal-rg~${name}` },
      stopOutside: async (_backend, id) => { fake.setPower(vm(id), 'deallocated') },
      removeOutside: async (_backend, id) => { fake.remove(vm(id)) },
      tagsAt: async (_backend, id) => Object.keys(vm(id).tags ?? {}).filter((tag) => tag !== 'stratus-client-token'),
      count: async () => fake.vms(sub).length
    }
    subscriptionOf.set(cloud, sub)
    return cloud
  }
  return {
    provider: 'azure',
    env: { AZURE_AUTHORITY_HOST: fake.origin, AZURE_RESOURCE_MANAGER_URL: fake.origin, AZURE_PRICES_URL: `${fake.origin}/api/retail/prices` },
    machine: { size: 'Standard_B1s', image: 'Canonical:ubuntu-24_04-lts:server:latest', location: 'westeurope' },
    account,
    leftovers: async (cloud) => fake.left(subscriptionOf.get(cloud)!).filter((type) => type !== 'Microsoft.Network/virtualNetworks'),
    badCredentials: (fields) => ({ ...fields, client_secret: 'not-the-secret' }),
    faults: {
      fail: (cloud, status, times, headers) => fake.faults.add({ status, times, ...(headers === undefined ? {} : { headers }), match: (request) => request.url.pathname.startsWith(`/subscriptions/${subscriptionOf.get(cloud)!}`) }),
      clear: () => fake.faults.clear(),
      failNextOperation: () => {
        fake.failNextAction = { code: 'AllocationFailed', message: 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.' }
        return /^azure: AllocationFailed: Allocation failed/
      },
      loseCreateAnswer: (cloud, delayMs) => fake.faults.add({ status: -1, delayMs, match: (request) => request.method === 'PUT' && request.url.pathname.startsWith(`/subscriptions/${subscriptionOf.get(cloud)!}`) && request.url.pathname.includes('/virtualMachines/') })
    },
    paging: { pageSize: fake.pageSize, addMany: async (cloud, count) => { for (let i = 0; i < count; i++) fake.addVm(subscriptionOf.get(cloud)!, 'bulk-rg', `bulk-${i}`) } },
    close: async () => fake.close()
  }
}

export async function ec2Harness (): Promise<ProviderHarness> {
  const fake = await new Ec2Fake().start()
  fake.bootMs = 150
  fake.actionMs = 150
  const keyOf = new Map<CloudAccount, string>()
  const account = async (): Promise<CloudAccount> => {
    const credentials = fake.account()
    const key = credentials.api_key
    const instance = (id: string) => fake.instances(key).find((candidate) => candidate.id === id)!
    const cloud: CloudAccount = {
      fields: { ...credentials, region: EC2_REGION },
      addOutside: async (_backend, name) => fake.addInstance(key, { name }).id,
      stopOutside: async (_backend, id) => { instance(id).state = 'stopped' },
      // Gone from the listing, as a terminated instance is an hour after (the scenario's blip and vanish).
      removeOutside: async (_backend, id) => { fake.forget(key, id) },
      tagsAt: async (_backend, id) => [...instance(id).tags].filter(([tag]) => tag !== 'Name').map(([tag, value]) => value === '' ? tag : `${tag}=${value}`),
      count: async () => fake.instances(key).filter((candidate) => candidate.state !== 'terminated').length
    }
    keyOf.set(cloud, key)
    return cloud
  }
  return {
    provider: 'ec2',
    env: { AWS_ENDPOINT_URL_EC2: fake.origin, AWS_ENDPOINT_URL_PRICING: fake.origin },
    // The backends document's own create: its zone by index ("0"), as mist.io's client sends it.
    machine: { size: 't3.micro', image: 'ami-0a1b2c3d4e5f60002', location: '0' },
    account,
    badCredentials: (fields) => ({ ...fields, api_secret: 'not-the-secret-of-this-access-key' }),
    faults: {
      fail: (cloud, status, times, headers) => fake.faults.add({ status, times, ...(headers === undefined ? {} : { headers }), match: (request) => fake.isFrom(request, keyOf.get(cloud)!) }),
      clear: () => fake.faults.clear(),
      loseCreateAnswer: (cloud, delayMs) => fake.faults.add({ status: -1, delayMs, match: (request) => fake.isFrom(request, keyOf.get(cloud)!) && request.rawBody.includes('Action=RunInstances') })
    },
    paging: { pageSize: fake.pageSize, addMany: async (cloud, count) => { for (let i = 0; i < count; i++) fake.addInstance(keyOf.get(cloud)!) } },
    close: async () => fake.close()
  }
}

export async function gceHarness (): Promise<ProviderHarness> {
  const fake = await new GceFake().start()
  fake.bootMs = 150
  fake.operationMs = 150
  fake.pageSize = 50
  const projectOf = new Map<CloudAccount, string>()
  const account = async (): Promise<CloudAccount> => {
    const fields = fake.project()
    const project = fields.project_id
    const cloud: CloudAccount = {
      fields,
      addOutside: async (_backend, name) => { const made = fake.addInstance(project, { name }); return `${made.zone}~${made.name}` },
      stopOutside: async (_backend, id) => { fake.instance(project, id).status = 'TERMINATED' },
      removeOutside: async (_backend, id) => { fake.remove(project, id) },
      tagsAt: async (_backend, id) => Object.entries(fake.instance(project, id).labels).filter(([key]) => key !== CLIENT_TOKEN_LABEL).map(([key, value]) => tagOf(key, value)),
      count: async () => fake.instances(project).length
    }
    projectOf.set(cloud, project)
    return cloud
  }
  return {
    provider: 'gce',
    env: { GCE_API_ENDPOINT: fake.origin },
    // The backends document's GCE create, by GCE's numeric ids: size 1000 (n1-standard-1), its image, zone 2221.
    machine: { size: '1000', image: '5298942163210525420', location: '2221' },
    account,
    badCredentials: (fields) => ({ ...fields, private_key: GceFake.foreignKey(fields as { private_key: string }) }),
    faults: {
      fail: (cloud, status, times, headers) => fake.faults.add({ status, times, ...(headers === undefined ? {} : { headers }), match: (request) => fake.isFrom(request, projectOf.get(cloud)!) }),
      clear: () => fake.faults.clear(),
      failNextOperation: () => {
        fake.failNextOperation = { code: 'ZONE_RESOURCE_POOL_EXHAUSTED', message: 'The zone \'projects/p/zones/europe-west1-c\' does not have enough resources available to fulfill the request.' }
        return /^gce: ZONE_RESOURCE_POOL_EXHAUSTED: The zone/
      },
      loseCreateAnswer: (cloud, delayMs) => fake.faults.add({ status: -1, delayMs, match: (request) => fake.isFrom(request, projectOf.get(cloud)!) && request.method === 'POST' && /\/zones\/[^/]+\/instances$/.test(request.url.pathname) })
    },
    paging: { pageSize: fake.pageSize, addMany: async (cloud, count) => { for (let i = 0; i < count; i++) fake.addInstance(projectOf.get(cloud)!) } },
    close: async () => fake.close()
  }
}

/** Docker: each account is an engine of its own on 127.0.0.1 (plain TCP), all allowed by one rule. */
export async function dockerHarness (): Promise<ProviderHarness> {
  const engines: DockerFake[] = []
  const refusing = await new DockerFake().start('http')
  refusing.denyAll = true
  engines.push(refusing)
  const engineOf = new Map<CloudAccount, DockerFake>()
  const account = async (): Promise<CloudAccount> => {
    const engine = await new DockerFake().start('http')
    engines.push(engine)
    const cloud: CloudAccount = {
      fields: { host: engine.origin.replace(/^http:/, 'tcp:') },
      addOutside: async (_backend, name) => engine.addContainer({ name }).id,
      stopOutside: async (_backend, id) => { engine.containers.get(id)!.state = 'exited' },
      removeOutside: async (_backend, id) => { engine.containers.delete(id) },
      tagsAt: async (_backend, id) => Object.keys(engine.containers.get(id)!.labels).filter((label) => !label.startsWith('io.stratus.')),
      count: async () => engine.containers.size
    }
    engineOf.set(cloud, engine)
    return cloud
  }
  return {
    provider: 'docker',
    env: { DOCKER_ALLOWED_HOSTS: 'tcp://127.0.0.1:*' },
    // The backends document's Docker body: its image id, no location, its host port 88888 corrected to one that exists.
    machine: {
      size: 'default',
      image: DOCUMENT_IMAGE_ID,
      docker_env: { SOMEVAR: 'True', SOMEOTHERVAR: 'False' },
      docker_command: '/bin/bash',
      docker_exposed_ports: { '8888/tcp': {}, '4977/tcp': {} },
      docker_port_bindings: { '8888/tcp': [{ HostPort: '8888' }], '4977/tcp': [{ HostPort: '4977' }] }
    },
    tagsAtCloud: false,
    createAnswersRunning: true,
    account,
    // An engine whose authorization plugin denies this client.
    badCredentials: () => ({ host: refusing.origin.replace(/^http:/, 'tcp:') }),
    faults: {
      fail: (cloud, status, times, headers) => engineOf.get(cloud)!.faults.add({ status, times, ...(headers === undefined ? {} : { headers }) }),
      clear: () => { for (const engine of engines) engine.faults.clear() },
      loseCreateAnswer: (cloud, delayMs) => engineOf.get(cloud)!.faults.add({ status: -1, delayMs, match: (request) => request.method === 'POST' && request.url.pathname.endsWith('/containers/create') })
    },
    close: async () => { await Promise.all(engines.map(async (engine) => engine.close())) }
  }
}
