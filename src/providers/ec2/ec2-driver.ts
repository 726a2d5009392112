import {
  CreateTagsCommand, DescribeAccountAttributesCommand, DescribeAvailabilityZonesCommand, DescribeImagesCommand, DescribeInstancesCommand,
  DescribeInstanceTypeOfferingsCommand, DescribeInstanceTypesCommand, DescribeKeyPairsCommand, ImportKeyPairCommand, RebootInstancesCommand,
  RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
  type EC2Client, type Image, type InstanceTypeInfo, type _InstanceType as InstanceType
} from '@aws-sdk/client-ec2'
import type { PricingClient } from '@aws-sdk/client-pricing'
import type { MachineAction } from '../../domain/lifecycle.ts'
import { fingerprintOf, parsePublicKey } from '../../domain/ssh-keys.ts'
import type { BackendConnection, CreateMachineSpec, ProviderDriver, ProviderImage, ProviderLocation, ProviderLog, ProviderMachine, ProviderSize } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import type { CallOptions } from '../kit/call-with-retries.ts'
import { CloudCalls } from '../kit/cloud-calls.ts'
import { countryOfRegion, ec2TagOf, NAME_TAG, PUBLIC_IMAGE_FAMILIES } from './catalog.ts'
import { classify, ec2Client, pricingClient, type AccessKey } from './connection.ts'
import type { Ec2Endpoints } from './endpoints.ts'
import { presentInstance } from './listed-instance.ts'
import { linuxOnDemandPrices } from './prices.ts'

const READ: CallOptions = { idempotent: true }
/** DescribeInstances' largest page: 10,000 instances are 10 calls. */
const INSTANCES_PER_PAGE = 1000

/**
 * Amazon EC2 of one region through @aws-sdk/client-ec2, prices through @aws-sdk/client-pricing.
 * A machine's id is its instance id. EC2 keeps a create's ClientToken on the instance, so a
 * retried or recovered create never makes two (and a pass finds it by it); actions are plain
 * requests whose progress the listing shows (pending, stopping, shutting-down).
 */
export class Ec2Driver implements ProviderDriver {
  readonly #ec2: EC2Client
  readonly #pricing: PricingClient
  readonly #region: string
  readonly #settings: { subnetId: string | null, securityGroupIds: string[], images: string[] }
  readonly #calls: CloudCalls
  readonly #priceCalls: CloudCalls
  readonly #log: ProviderLog

  constructor (connection: BackendConnection, endpoints: Ec2Endpoints) {
    const { credentials, settings } = connection
    const key: AccessKey = { accessKeyId: String(credentials.api_key), secretAccessKey: String(credentials.api_secret) }
    this.#region = String(settings.region)
    this.#ec2 = ec2Client(key, this.#region, endpoints)
    this.#pricing = pricingClient(key, endpoints)
    this.#settings = {
      subnetId: typeof settings.subnet_id === 'string' ? settings.subnet_id : null,
      securityGroupIds: Array.isArray(settings.security_group_ids) ? settings.security_group_ids.map(String) : [],
      images: Array.isArray(settings.images) ? settings.images.map(String) : []
    }
    this.#calls = new CloudCalls(connection.policy, classify('ec2'))
    // The price list is its own service with its own limits: its pauses do not hold EC2's calls.
    this.#priceCalls = new CloudCalls(connection.policy, classify('ec2 pricing'))
    this.#log = connection.log
  }

  #send<T> (options: CallOptions, request: (client: EC2Client, abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return this.#calls.call(options, async (signal) => request(this.#ec2, signal))
  }

  /** Every page of a NextToken list, each page a call of its own (retried alone). */
  async #pages<P extends { NextToken?: string }, T> (page: (token: string | undefined, abortSignal: AbortSignal) => Promise<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
    const all: T[] = []
    let token: string | undefined
    do {
      const answer = await this.#send(READ, async (_client, signal) => page(token, signal))
      all.push(...items(answer) ?? [])
      token = answer.NextToken === '' ? undefined : answer.NextToken
    } while (token !== undefined)
    return all
  }

  /** One cheap real call that needs valid credentials; it also says whether the region has a default VPC. */
  async checkCredentials (): Promise<void> {
    await this.#defaultVpc()
  }

  async #defaultVpc (): Promise<string | null> {
    const answer = await this.#send(READ, async (ec2, abortSignal) => ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }), { abortSignal }))
    const value = answer.AccountAttributes?.[0]?.AttributeValues?.[0]?.AttributeValue
    return value === undefined || value === 'none' ? null : value
  }

  /** The instance types offered in the region, with their Linux on-demand prices (null where the price list has none). */
  async listSizes (): Promise<ProviderSize[]> {
    const [offered, types, prices] = await Promise.all([
      this.#pages((NextToken, abortSignal) => this.#ec2.send(new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'region', Filters: [{ Name: 'location', Values: [this.#region] }], MaxResults: 1000, NextToken
      }), { abortSignal }), (page) => page.InstanceTypeOfferings?.map((offering) => String(offering.InstanceType))),
      this.#pages((NextToken, abortSignal) => this.#ec2.send(new DescribeInstanceTypesCommand({ MaxResults: 100, NextToken }), { abortSignal }), (page) => page.InstanceTypes),
      linuxOnDemandPrices(this.#priceCalls, this.#pricing, this.#region, this.#log)
    ])
    const here = new Set(offered)
    return types.filter((type) => here.has(String(type.InstanceType))).map((type) => sizeOf(type, prices.get(String(type.InstanceType)) ?? null))
      .sort((a, b) => a.cpus - b.cpus || a.ramMb - b.ramMb || a.id.localeCompare(b.id))
  }

  /** The account's own AMIs, the newest of each public family (catalog.ts), and the backend's `images`. */
  async listImages (): Promise<ProviderImage[]> {
    // EC2 refuses MaxResults beside ImageIds: a list of named images is one answer, not pages.
    const describe = (request: ConstructorParameters<typeof DescribeImagesCommand>[0]) =>
      this.#pages((NextToken, abortSignal) => this.#ec2.send(new DescribeImagesCommand({
        ...request, ...(request?.ImageIds === undefined ? { MaxResults: 1000 } : {}), NextToken
      }), { abortSignal }), (page) => page.Images)
    const [own, named, ...families] = await Promise.all([
      describe({ Owners: ['self'] }),
      this.#settings.images.length === 0 ? Promise.resolve([]) : describe({ ImageIds: this.#settings.images }),
      ...PUBLIC_IMAGE_FAMILIES.map(async (family) => describe({ Owners: [family.owner], Filters: [{ Name: 'name', Values: [family.name] }, { Name: 'state', Values: ['available'] }] }))
    ])
    const newest = families.flatMap((images) => images.sort((a, b) => String(b.CreationDate).localeCompare(String(a.CreationDate))).slice(0, 1))
    const seen = new Set<string>()
    return [...own, ...newest, ...named].filter((image) => !seen.has(String(image.ImageId)) && seen.add(String(image.ImageId))).map(imageOf)
  }

  /** The region's availability zones; the document's creates name them by index too ("0"). */
  async listLocations (): Promise<ProviderLocation[]> {
    const zones = await this.#zones()
    return zones.map((zone) => ({ id: zone, name: zone, country: countryOfRegion(this.#region) }))
  }

  async #zones (): Promise<string[]> {
    const answer = await this.#send(READ, async (ec2, abortSignal) => ec2.send(new DescribeAvailabilityZonesCommand({
      Filters: [{ Name: 'region-name', Values: [this.#region] }, { Name: 'zone-type', Values: ['availability-zone'] }]
    }), { abortSignal }))
    return (answer.AvailabilityZones ?? []).map((zone) => String(zone.ZoneName)).sort()
  }

  /** Every instance of the region, 1,000 a call; a failed page fails the listing. */
  async listMachines (): Promise<ProviderMachine[]> {
    const reservations = await this.#pages((NextToken, abortSignal) => this.#ec2.send(new DescribeInstancesCommand({ MaxResults: INSTANCES_PER_PAGE, NextToken }), { abortSignal }),
      (page) => page.Reservations)
    return reservations.flatMap((reservation) => reservation.Instances ?? []).map((instance) => presentInstance(instance, this.#log))
  }

  /**
   * RunInstances with our uuid as its ClientToken: sent again (a retry after a timeout), EC2
   * answers with the instance it made the first time. The SSH key becomes a key pair named by its
   * fingerprint (imported once, reused after), the script user data, the name the Name tag.
   */
  async createMachine (spec: CreateMachineSpec): Promise<ProviderMachine> {
    const zone = await this.#zoneOf(spec.location)
    if (this.#settings.subnetId === null && await this.#defaultVpc() === null) {
      throw new ProviderError('invalid-request', `ec2: region ${this.#region} has no default VPC; give the backend a subnet_id to create instances in`)
    }
    const keyName = spec.publicKey === null ? undefined : await this.#keyPair(spec.publicKey)
    const answer = await this.#send(READ, async (ec2, abortSignal) => ec2.send(new RunInstancesCommand({
      ImageId: spec.image,
      InstanceType: spec.size as InstanceType,
      MinCount: 1,
      MaxCount: 1,
      ClientToken: spec.clientToken,
      ...(keyName === undefined ? {} : { KeyName: keyName }),
      ...(spec.script === null ? {} : { UserData: Buffer.from(spec.script).toString('base64') }),
      Placement: { AvailabilityZone: zone },
      Monitoring: { Enabled: spec.monitoring },
      ...(this.#settings.subnetId === null ? {} : { SubnetId: this.#settings.subnetId }),
      ...(this.#settings.securityGroupIds.length === 0 ? {} : { SecurityGroupIds: this.#settings.securityGroupIds }),
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: NAME_TAG, Value: spec.name }] }]
    }), { abortSignal }))
    const instance = answer.Instances?.[0]
    if (instance === undefined) throw new ProviderError('server-error', 'ec2: RunInstances answered without an instance')
    return presentInstance(instance, this.#log)
  }

  /** An availability zone's name, or its index in the locations list (the Libcloud convention the document's examples use). */
  async #zoneOf (location: string): Promise<string> {
    const zones = await this.#zones()
    const zone = /^\d+$/.test(location) ? zones[Number(location)] : zones.find((candidate) => candidate === location)
    if (zone === undefined) throw new ProviderError('invalid-request', `ec2: location "${location}" is not an availability zone of ${this.#region} (${zones.join(', ')}) nor an index of one`)
    return zone
  }

  /** The key pair holding this public key, imported under a name taken from its fingerprint the first time. */
  async #keyPair (publicKey: string): Promise<string> {
    const key = parsePublicKey(publicKey)
    if (key === null) throw new ProviderError('invalid-request', 'ec2: the key is not an OpenSSH public key')
    if (key.type !== 'ssh-rsa' && key.type !== 'ssh-ed25519') throw new ProviderError('invalid-request', `ec2: takes RSA or Ed25519 SSH keys only, not ${key.type}`)
    const name = `stratus-${fingerprintOf(key).replace(/^SHA256:/, '').replace(/[^A-Za-z0-9]/g, '').slice(0, 32)}`
    try {
      await this.#send(READ, async (ec2, abortSignal) => ec2.send(new DescribeKeyPairsCommand({ KeyNames: [name] }), { abortSignal }))
      return name
    } catch (error) {
      if (!(error instanceof ProviderError && error.failure === 'not-found')) throw error
    }
    try {
      await this.#send({ idempotent: false }, async (ec2, abortSignal) => ec2.send(new ImportKeyPairCommand({ KeyName: name, PublicKeyMaterial: Buffer.from(key.line) }), { abortSignal }))
    } catch (error) {
      // Imported meanwhile by a create on another server: the same key under the same name.
      if (!(error instanceof ProviderError && (error.cause as { name?: string } | undefined)?.name === 'InvalidKeyPair.Duplicate')) throw error
    }
    return name
  }

  async performAction (id: string, action: MachineAction): Promise<Record<string, never>> {
    const InstanceIds = [id]
    await this.#send(READ, async (ec2, abortSignal) => {
      if (action === 'start') return ec2.send(new StartInstancesCommand({ InstanceIds }), { abortSignal })
      if (action === 'shutdown') return ec2.send(new StopInstancesCommand({ InstanceIds }), { abortSignal })
      if (action === 'reboot') return ec2.send(new RebootInstancesCommand({ InstanceIds }), { abortSignal })
      return ec2.send(new TerminateInstancesCommand({ InstanceIds }), { abortSignal })
    })
    return {}
  }

  /** A Stratus tag `key=value` is the EC2 tag `key` with that value; a tag without `=` has an empty value. */
  async addTag (id: string, tag: string): Promise<void> {
    const ec2Tag = ec2TagOf(tag)
    if (ec2Tag.Key.length > 128 || ec2Tag.Value.length > 256 || ec2Tag.Key.toLowerCase().startsWith('aws:')) {
      throw new ProviderError('invalid-request', 'ec2: a tag key is at most 128 characters and may not begin with aws:, its value at most 256')
    }
    await this.#send(READ, async (ec2, abortSignal) => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [ec2Tag] }), { abortSignal }))
  }

  // No close(): the clients hold nothing of their own. Their pool is every backend's
  // (connection.ts), and the SDK's destroy() would destroy its sockets under other backends' calls.
}

function sizeOf (type: InstanceTypeInfo, hourlyPrice: string | null): ProviderSize {
  const cpus = type.VCpuInfo?.DefaultVCpus ?? 0
  const ramMb = type.MemoryInfo?.SizeInMiB ?? 0
  return {
    id: String(type.InstanceType),
    name: `${String(type.InstanceType)} (${cpus} vCPU, ${ramMb} MiB)`,
    cpus,
    ramMb,
    diskGb: type.InstanceStorageInfo?.TotalSizeInGB ?? 0,
    hourlyPrice,
    currency: 'USD'
  }
}

const imageOf = (image: Image): ProviderImage => ({
  id: String(image.ImageId),
  name: image.Name ?? String(image.ImageId),
  extra: { owner: image.ImageOwnerAlias ?? image.OwnerId ?? null, architecture: image.Architecture ?? null, created: image.CreationDate ?? null, description: image.Description ?? null }
})
