// The clouds the cloud-sync bench runs against (bench/cloud-sync.ts): each a fake filled with an
// account's machines, the environment pointing Stratus at it, and the bare baseline's way of
// reading the same pages (the cloud's wire or SDK, with no Stratus in between).
import { randomBytes } from 'node:crypto'
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2'
import { DigitalOceanFake } from '../tests/fakes/digitalocean-fake.ts'
import { EC2_REGION, Ec2Fake } from '../tests/fakes/ec2-fake.ts'
import compute, { type protos } from '@google-cloud/compute'
import { GceFake } from '../tests/fakes/gce-fake.ts'
import Docker from 'dockerode'
import { DockerFake } from '../tests/fakes/docker-fake.ts'

/** A machine row as the baseline upserts it. */
export interface BareRow {
  provider_id: string
  name: string
  state: string
  size: string | null
  image: string | null
  location: string | null
  public_ips: string[]
  private_ips: string[]
  extra: Record<string, unknown>
}

export interface CloudAccountUnderBench {
  /** The POST /backends fields besides title and provider. */
  fields: Record<string, unknown>
  /** Every machine of the account read page by page as bare as the cloud allows. */
  readBare(): Promise<BareRow[]>
}

export interface CloudProfile {
  provider: string
  title(machines: string): string
  env: Record<string, string>
  /** A new account at the fake holding `machines` running machines. */
  account(machines: number): Promise<CloudAccountUnderBench>
  /** Listing page calls the fake has answered so far. */
  listingCalls(): number
  close(): Promise<void>
}

interface FakeDropletJson {
  id: number
  name: string
  status: string
  size_slug: string
  created_at: string
  vcpus: number
  memory: number
  disk: number
  locked: boolean
  image?: { slug?: string | null, name?: string }
  region?: { slug?: string }
  networks?: { v4?: Array<{ ip_address: string, type: string }> }
}

export async function digitaloceanProfile (): Promise<CloudProfile> {
  const fake = await new DigitalOceanFake().start()
  return {
    provider: 'digitalocean',
    title: (machines) => `DigitalOcean backend with ${machines} droplets (HTTPS fake, 200 a page)`,
    env: { DIGITALOCEAN_API_URL: fake.url },
    account: async (machines) => {
      const token = `dop_v1_${randomBytes(24).toString('hex')}`
      for (let i = 0; i < machines; i++) fake.addDroplet(token)
      return {
        fields: { token },
        // The same pages read with fetch.
        readBare: async () => {
          const droplets: FakeDropletJson[] = []
          for (let next: string | undefined = `${fake.url}/droplets?per_page=200`; next !== undefined;) {
            const page = await (await fetch(next, { headers: { authorization: `Bearer ${token}` } })).json() as { droplets: FakeDropletJson[], links: { pages: { next?: string } } }
            droplets.push(...page.droplets)
            next = page.links.pages.next
          }
          return droplets.map((droplet) => ({
            provider_id: String(droplet.id),
            name: droplet.name,
            state: droplet.status === 'active' ? 'running' : 'pending',
            size: droplet.size_slug,
            image: droplet.image?.slug ?? null,
            location: droplet.region?.slug ?? null,
            public_ips: (droplet.networks?.v4 ?? []).filter((net) => net.type === 'public').map((net) => net.ip_address),
            private_ips: (droplet.networks?.v4 ?? []).filter((net) => net.type === 'private').map((net) => net.ip_address),
            extra: {
              droplet_id: droplet.id,
              status: droplet.status,
              size_slug: droplet.size_slug,
              region: droplet.region?.slug ?? null,
              image: droplet.image?.slug ?? null,
              vcpus: droplet.vcpus,
              memory: droplet.memory,
              disk: droplet.disk,
              locked: droplet.locked,
              created_at: droplet.created_at
            }
          }))
        }
      }
    },
    listingCalls: () => fake.requests.filter((request) => request.path.startsWith('/v2/droplets?')).length,
    close: async () => fake.close()
  }
}

export async function ec2Profile (): Promise<CloudProfile> {
  const fake = await new Ec2Fake().start()
  return {
    provider: 'ec2',
    title: (machines) => `EC2 backend with ${machines} instances (HTTPS fake, SigV4 checked, 1,000 a page)`,
    env: { AWS_ENDPOINT_URL_EC2: fake.origin, AWS_ENDPOINT_URL_PRICING: fake.origin },
    account: async (machines) => {
      const credentials = fake.account()
      for (let i = 0; i < machines; i++) fake.addInstance(credentials.api_key, { name: `bench-${i}` })
      return {
        fields: { ...credentials, region: EC2_REGION },
        // The same pages through the bare SDK (a request needs its signature), no Stratus in between.
        readBare: async () => {
          const client = new EC2Client({ region: EC2_REGION, endpoint: fake.origin, credentials: { accessKeyId: credentials.api_key, secretAccessKey: credentials.api_secret }, maxAttempts: 1 })
          const rows: BareRow[] = []
          let token: string | undefined
          do {
            const page = await client.send(new DescribeInstancesCommand({ MaxResults: 1000, NextToken: token }))
            for (const instance of (page.Reservations ?? []).flatMap((reservation) => reservation.Instances ?? [])) {
              rows.push({
                provider_id: String(instance.InstanceId),
                name: instance.Tags?.find((tag) => tag.Key === 'Name')?.Value ?? String(instance.InstanceId),
                state: instance.State?.Name === 'running' ? 'running' : 'pending',
                size: instance.InstanceType ?? null,
                image: instance.ImageId ?? null,
                location: instance.Placement?.AvailabilityZone ?? null,
                public_ips: instance.PublicIpAddress === undefined ? [] : [instance.PublicIpAddress],
                private_ips: instance.PrivateIpAddress === undefined ? [] : [instance.PrivateIpAddress],
                extra: {
                  instanceId: instance.InstanceId,
                  dns_name: instance.PublicDnsName ?? null,
                  private_dns: instance.PrivateDnsName ?? null,
                  launchdatetime: instance.LaunchTime?.toISOString() ?? null,
                  imageId: instance.ImageId ?? null,
                  keyname: instance.KeyName ?? null,
                  availability: instance.Placement?.AvailabilityZone ?? null,
                  instancetype: instance.InstanceType ?? null,
                  clienttoken: instance.ClientToken ?? '',
                  status: instance.State?.Name ?? null,
                  tags: Object.fromEntries((instance.Tags ?? []).map((tag) => [String(tag.Key), tag.Value ?? ''])),
                  groups: (instance.SecurityGroups ?? []).map((group) => group.GroupName ?? null),
                  vpc_id: instance.VpcId ?? null,
                  subnet_id: instance.SubnetId ?? null
                }
              })
            }
            token = page.NextToken
          } while (token !== undefined)
          client.destroy()
          return rows
        }
      }
    },
    listingCalls: () => fake.actions.filter((action) => action.action === 'DescribeInstances').length,
    close: async () => fake.close()
  }
}

export async function gceProfile (): Promise<CloudProfile> {
  const fake = await new GceFake().start()
  const last = (url: string | null | undefined) => url?.slice(url.lastIndexOf('/') + 1) ?? null
  return {
    provider: 'gce',
    title: (machines) => `GCE backend with ${machines} instances in 3 zones (HTTPS fake, signed JWT checked, aggregated list, 500 a page)`,
    env: { GCE_API_ENDPOINT: fake.origin },
    account: async (machines) => {
      const fields = fake.project()
      const zones = ['europe-west1-b', 'europe-west1-c', 'us-central1-a']
      for (let i = 0; i < machines; i++) fake.addInstance(fields.project_id, { name: `bench-${i}`, zone: zones[i % zones.length]! })
      return {
        fields,
        // The same pages through the bare SDK (each request needs its signed JWT), no Stratus in between.
        readBare: async () => {
          const key = JSON.parse(fields.private_key) as { client_email: string, private_key: string }
          const url = new URL(fake.origin)
          const client = new compute.InstancesClient({ apiEndpoint: url.hostname, port: Number(url.port), protocol: 'https', projectId: fields.project_id, credentials: key, scopes: [] })
          await client.initialize()
          const rows: BareRow[] = []
          let pageToken: string | undefined
          do {
            const [items, next] = await (client.innerApiCalls.aggregatedList as unknown as (request: object, options: object) => Promise<[Record<string, protos.google.cloud.compute.v1.IInstancesScopedList>, { pageToken?: string } | null]>)(
              { project: fields.project_id, maxResults: 500, ...(pageToken === undefined ? {} : { pageToken }) }, { autoPaginate: false, maxRetries: 0 })
            for (const instance of Object.values(items).flatMap((scoped) => scoped.instances ?? [])) {
              const zone = last(instance.zone) ?? ''
              rows.push({
                provider_id: `${zone}~${String(instance.name)}`,
                name: String(instance.name),
                state: instance.status === 'RUNNING' ? 'running' : 'pending',
                size: last(instance.machineType),
                image: null,
                location: zone,
                public_ips: (instance.networkInterfaces ?? []).flatMap((nic) => (nic.accessConfigs ?? []).map((access) => access.natIP ?? '')).filter((ip) => ip !== ''),
                private_ips: (instance.networkInterfaces ?? []).map((nic) => nic.networkIP ?? '').filter((ip) => ip !== ''),
                extra: { id: String(instance.id), zone, machineType: last(instance.machineType), status: instance.status, creationTimestamp: instance.creationTimestamp ?? null, labels: instance.labels ?? {}, selfLink: instance.selfLink ?? null }
              })
            }
            pageToken = next?.pageToken === undefined || next.pageToken === '' ? undefined : next.pageToken
          } while (pageToken !== undefined)
          await client.close()
          return rows
        }
      }
    },
    listingCalls: () => fake.requests.filter((request) => request.path.includes('/aggregated/instances')).length,
    close: async () => fake.close()
  }
}

export async function dockerProfile (): Promise<CloudProfile> {
  const engines: DockerFake[] = []
  return {
    provider: 'docker',
    title: (machines) => `Docker backend with ${machines} containers (engine fake on TCP, one unpaged list)`,
    env: { DOCKER_ALLOWED_HOSTS: 'tcp://127.0.0.1:*' },
    account: async (machines) => {
      const engine = await new DockerFake().start('http')
      engines.push(engine)
      for (let i = 0; i < machines; i++) engine.addContainer({ name: `bench-${i}` })
      const url = new URL(engine.origin)
      return {
        fields: { host: `tcp://127.0.0.1:${url.port}` },
        // The same list through bare dockerode, no Stratus in between.
        readBare: async () => {
          const docker = new Docker({ host: '127.0.0.1', port: Number(url.port), protocol: 'http', version: 'v1.47' })
          const containers = await docker.listContainers({ all: true })
          return containers.map((container) => ({
            provider_id: container.Id,
            name: (container.Names[0] ?? container.Id).replace(/^\//, ''),
            state: container.State === 'running' ? 'running' : 'pending',
            size: 'default',
            image: container.Image,
            location: 'engine',
            public_ips: [],
            private_ips: Object.values(container.NetworkSettings?.Networks ?? {}).map((network) => network.IPAddress).filter((ip) => ip !== ''),
            extra: { container_name: (container.Names[0] ?? '').replace(/^\//, ''), image: container.Image, image_id: container.ImageID, command: container.Command, created: new Date(container.Created * 1000).toISOString(), state: container.State, ports: [], labels: container.Labels }
          }))
        }
      }
    },
    listingCalls: () => engines.reduce((sum, engine) => sum + engine.requests.filter((request) => request.path.includes('/containers/json')).length, 0),
    close: async () => { await Promise.all(engines.map(async (engine) => engine.close())) }
  }
}
