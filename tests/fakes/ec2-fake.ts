import type { ServerResponse } from 'node:http'
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto'
import { CloudFake, sendJson, type FakeRequest } from './https-fake.ts'

/**
 * Amazon EC2 as its API reference describes it (docs.aws.amazon.com/AWSEC2/latest/APIReference),
 * and the AWS Price List Query API, on one origin:
 * - EC2's query protocol: form-encoded `Action=` requests signed with Signature Version 4 (the
 *   signature is checked against the account's secret key), XML answers with a `requestId`,
 *   lists as `<item>`, `NextToken` pages, and EC2's error document
 *   `<Response><Errors><Error><Code>…` with its statuses (400 for refusals, 401 AuthFailure, 403
 *   SignatureDoesNotMatch, 503 RequestLimitExceeded);
 * - instances that go pending -> running, stopping -> stopped, shutting-down -> terminated over
 *   time, stay listed an hour once terminated, and keep the ClientToken of their RunInstances
 *   (sent again, the same instance is answered); tags, key pairs, availability zones, instance
 *   types and their offerings, images by owner and name;
 * - the price list's JSON protocol (`X-Amz-Target: AWSPriceListService.GetProducts`), whose
 *   `PriceList` is a list of JSON strings, in pages.
 */
export interface FakeInstance {
  id: string
  type: string
  image: string
  zone: string
  state: string
  /** A transitional state settles into `target` at `settlesAt`. */
  target?: string
  settlesAt?: number
  clientToken: string
  tags: Map<string, string>
  keyName: string | null
  launchTime: string
  publicIp: string
  privateIp: string
  monitoring: boolean
  subnetId: string
  vpcId: string
  groups: Array<{ id: string, name: string }>
  userData: string | null
  terminatedAt?: number
}

interface Account {
  accessKeyId: string
  secret: string
  instances: Map<string, FakeInstance>
  keyPairs: Map<string, { fingerprint: string, material: string, id: string }>
  images: Array<Record<string, string>>
  defaultVpc: string | null
  /** Whether the key may read the price list (pricing:GetProducts). */
  pricesAllowed: boolean
}

export const EC2_REGION = 'ap-northeast-1'
export const EC2_ZONES = ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d']

/** Instance types as DescribeInstanceTypes shows them; c5.large is not offered in the region. */
export const EC2_TYPES = [
  { type: 't1.micro', vcpus: 1, mib: 627, storageGb: null },
  { type: 't3.micro', vcpus: 2, mib: 1024, storageGb: null },
  { type: 'm5d.large', vcpus: 2, mib: 8192, storageGb: 75 },
  { type: 'c5.large', vcpus: 2, mib: 4096, storageGb: null },
  { type: 'x9.huge', vcpus: 96, mib: 786_432, storageGb: null }
]
const OFFERED = new Set(['t1.micro', 't3.micro', 'm5d.large', 'x9.huge'])

/** Public images of the families Stratus lists (owner, name), two versions of each, and one of another owner. */
const PUBLIC_IMAGES = [
  { imageId: 'ami-0a1b2c3d4e5f60001', owner: '137112412989', alias: 'amazon', name: 'al2023-ami-2023.6.20241010.0-kernel-6.1-x86_64', created: '2024-10-10T00:00:00.000Z' },
  { imageId: 'ami-0a1b2c3d4e5f60002', owner: '137112412989', alias: 'amazon', name: 'al2023-ami-2023.9.20261101.0-kernel-6.12-x86_64', created: '2026-11-01T00:00:00.000Z' },
  { imageId: 'ami-0a1b2c3d4e5f60003', owner: '099720109477', alias: '', name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261015', created: '2026-10-15T00:00:00.000Z' },
  { imageId: 'ami-0a1b2c3d4e5f60004', owner: '136693071363', alias: '', name: 'debian-12-amd64-20261020-1234', created: '2026-10-20T00:00:00.000Z' },
  { imageId: 'ami-2f61fe2e', owner: '999999999999', alias: '', name: 'someone-elses-image', created: '2012-01-01T00:00:00.000Z' }
]

/** The price list's rows for the region: Linux shared on-demand, and the rows GetProducts' filters must leave out. */
function priceRows (region: string): Array<{ attributes: Record<string, string>, usd: string }> {
  const linux = { regionCode: region, operatingSystem: 'Linux', tenancy: 'Shared', preInstalledSw: 'NA', capacitystatus: 'Used', licenseModel: 'No License required' }
  return [
    { attributes: { ...linux, instanceType: 't1.micro' }, usd: '0.0260000000' },
    { attributes: { ...linux, instanceType: 't3.micro' }, usd: '0.0136000000' },
    { attributes: { ...linux, instanceType: 'm5d.large' }, usd: '0.1410000000' },
    { attributes: { ...linux, instanceType: 't3.micro', operatingSystem: 'Windows' }, usd: '0.0228000000' },
    { attributes: { ...linux, instanceType: 't3.micro', tenancy: 'Dedicated' }, usd: '0.0150000000' },
    { attributes: { ...linux, instanceType: 't3.micro', capacitystatus: 'UnusedCapacityReservation' }, usd: '0.0000000000' },
    { attributes: { ...linux, instanceType: 't3.micro', preInstalledSw: 'SQL Web' }, usd: '0.0500000000' },
    { attributes: { ...linux, instanceType: 't3.micro', operatingSystem: 'RHEL', licenseModel: 'No License required' }, usd: '0.0736000000' },
    { attributes: { ...linux, instanceType: 't3.micro', regionCode: 'us-east-1' }, usd: '0.0104000000' }
  ]
}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex')
const hmac = (key: string | Buffer, text: string): Buffer => createHmac('sha256', key).update(text).digest()
/** RFC 3986 encoding, as SigV4 canonicalizes query strings. */
const encode = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** An AWS error, answered as the service's protocol says (EC2's XML document, or the JSON protocol's `__type`). */
class AwsFault extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(message) }
}

/** EC2's XML: objects are elements, arrays are `<item>` lists, null and undefined are left out. */
function xml (value: unknown): string {
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return value.map((item) => `<item>${xml(item)}</item>`).join('')
  if (typeof value === 'object') return Object.entries(value).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `<${k}>${xml(v)}</${k}>`).join('')
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** `prefix.1`, `prefix.2`, … of a query-protocol request. */
function listOf (params: URLSearchParams, prefix: string): string[] {
  const out: string[] = []
  for (let i = 1; params.has(`${prefix}.${i}`); i++) out.push(params.get(`${prefix}.${i}`)!)
  return out
}

/** `Filter.N.Name` / `Filter.N.Value.M`, as a map of name to accepted values. */
function filtersOf (params: URLSearchParams): Map<string, string[]> {
  const filters = new Map<string, string[]>()
  for (let i = 1; params.has(`Filter.${i}.Name`); i++) filters.set(params.get(`Filter.${i}.Name`)!, listOf(params, `Filter.${i}.Value`))
  return filters
}

/** An EC2 name filter's wildcards (* and ?) as a regular expression. */
const wildcard = (pattern: string): RegExp => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)

export class Ec2Fake extends CloudFake {
  readonly #accounts = new Map<string, Account>()
  #nextIp = 10
  bootMs = 300
  actionMs = 300
  /** How many instances a DescribeInstances page holds at most (the API's own limit is 1,000). */
  readonly pageSize = 1000
  /** Who asked for what, by access key: the requests' Action (and the price list's target). */
  readonly actions: Array<{ accessKeyId: string, action: string }> = []

  /** A new account (an IAM access key) in the region, with a default VPC unless told otherwise. */
  account (options: { defaultVpc?: boolean, pricesAllowed?: boolean } = {}): { api_key: string, api_secret: string } {
    const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`
    const secret = randomBytes(30).toString('base64')
    this.#accounts.set(accessKeyId, {
      accessKeyId,
      secret,
      instances: new Map(),
      keyPairs: new Map(),
      images: [{ imageId: `ami-${randomBytes(8).toString('hex')}`, owner: '123456789012', alias: '', name: 'my-golden-image', created: '2026-09-01T00:00:00.000Z' }],
      defaultVpc: options.defaultVpc === false ? null : 'vpc-0d15ea5e0000cafe',
      pricesAllowed: options.pricesAllowed ?? true
    })
    return { api_key: accessKeyId, api_secret: secret }
  }

  /** The account's instances, their transitions brought up to now. */
  instances (accessKeyId: string): FakeInstance[] {
    const account = this.#accounts.get(accessKeyId)!
    for (const instance of account.instances.values()) this.#tick(instance)
    return [...account.instances.values()]
  }

  /** An instance made outside Stratus (the console), running. */
  addInstance (accessKeyId: string, fields: { name?: string, state?: string, type?: string } = {}): FakeInstance {
    const instance = this.#newInstance(this.#accounts.get(accessKeyId)!, { type: fields.type ?? 't3.micro', image: PUBLIC_IMAGES[0]!.imageId, zone: EC2_ZONES[0]!, clientToken: '' })
    instance.state = fields.state ?? 'running'
    if (fields.name !== undefined) instance.tags.set('Name', fields.name)
    return instance
  }

  /** The instance no longer listed at all, as a terminated one is after about an hour. */
  forget (accessKeyId: string, id: string): void { this.#accounts.get(accessKeyId)!.instances.delete(id) }

  /** Whether a request was signed with this access key (for faults aimed at one account). */
  isFrom (request: FakeRequest, accessKeyId: string): boolean { return this.credentialOf(request) === accessKeyId }

  protected override credentialOf (request: FakeRequest): string | null {
    return /Credential=([^/,\s]+)\//.exec(String(request.headers.authorization ?? ''))?.[1] ?? null
  }

  protected faultBody (status: number): unknown {
    const code = status === 401 ? 'AuthFailure' : status === 429 || status === 503 ? 'RequestLimitExceeded' : status >= 500 ? 'InternalError' : 'InvalidParameterValue'
    return { code, message: `an injected ${status}` }
  }

  protected override sendFault (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const { code, message } = body as { code: string, message: string }
    this.#sendError(response, new AwsFault(status, code, message), headers)
  }

  #sendError (response: ServerResponse, fault: AwsFault, headers: Record<string, string> = {}, json = false): void {
    if (json) return sendJson(response, fault.status, { __type: fault.code, message: fault.message }, { 'x-amzn-errortype': fault.code, ...headers })
    response.writeHead(fault.status, { 'content-type': 'text/xml;charset=UTF-8', ...headers })
    response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xml(fault.code)}</Code><Message>${xml(fault.message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`)
  }

  protected async handle (request: FakeRequest, response: ServerResponse): Promise<void> {
    const json = String(request.headers['x-amz-target'] ?? '').startsWith('AWSPriceListService.')
    try {
      const account = this.#verify(request, json ? 'pricing' : 'ec2')
      if (json) return this.#pricing(request, response, account)
      const params = new URLSearchParams(request.method === 'GET' ? request.url.search : request.rawBody)
      const action = params.get('Action') ?? ''
      this.actions.push({ accessKeyId: account.accessKeyId, action })
      const answer = this.#act(account, action, params)
      response.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' })
      response.end(`<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${randomUUID()}</requestId>${xml(answer)}</${action}Response>`)
    } catch (error) {
      if (error instanceof AwsFault) return this.#sendError(response, error, {}, json)
      throw error
    }
  }

  /** Signature Version 4, checked as AWS checks it: the key is known, and the signature is the one its secret makes. */
  #verify (request: FakeRequest, service: string): Account {
    const auth = String(request.headers.authorization ?? '')
    const parts = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth)
    if (parts === null) throw new AwsFault(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials')
    const [, keyId, date, region, signedService, signedHeaders, signature] = parts as unknown as string[]
    const account = this.#accounts.get(keyId!)
    if (account === undefined) throw new AwsFault(401, service === 'ec2' ? 'AuthFailure' : 'UnrecognizedClientException', 'AWS was not able to validate the provided access credentials')
    if (signedService !== service) throw new AwsFault(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: '${service}'.`)
    const amzDate = String(request.headers['x-amz-date'] ?? '')
    const names = signedHeaders!.split(';')
    const canonicalQuery = [...request.url.searchParams].map(([k, v]) => [encode(k), encode(v)]).sort(([a, x], [b, y]) => a! < b! ? -1 : a! > b! ? 1 : x! < y! ? -1 : 1).map(([k, v]) => `${k}=${v}`).join('&')
    const canonicalHeaders = names.map((name) => `${name}:${String(request.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('')
    const payload = String(request.headers['x-amz-content-sha256'] ?? sha256(request.rawBody))
    const canonical = [request.method, request.url.pathname, canonicalQuery, canonicalHeaders, signedHeaders, payload].join('\n')
    const scope = `${date}/${region}/${signedService}/aws4_request`
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n')
    const key = hmac(hmac(hmac(hmac(`AWS4${account.secret}`, date!), region!), signedService!), 'aws4_request')
    if (createHmac('sha256', key).update(toSign).digest('hex') !== signature) {
      throw new AwsFault(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.')
    }
    if (service === 'ec2' && region !== EC2_REGION) throw new AwsFault(401, 'AuthFailure', `This fake serves ${EC2_REGION} only, not ${String(region)}`)
    return account
  }

  #tick (instance: FakeInstance): void {
    if (instance.target !== undefined && instance.settlesAt !== undefined && Date.now() >= instance.settlesAt) {
      instance.state = instance.target
      if (instance.state === 'terminated') instance.terminatedAt = Date.now()
      instance.target = undefined
      instance.settlesAt = undefined
    }
  }

  #newInstance (account: Account, fields: { type: string, image: string, zone: string, clientToken: string }): FakeInstance {
    const n = this.#nextIp++
    const instance: FakeInstance = {
      id: `i-${randomBytes(8).toString('hex').slice(0, 17)}`,
      ...fields,
      state: 'pending',
      tags: new Map(),
      keyName: null,
      launchTime: new Date().toISOString(),
      publicIp: `54.${Math.floor(n / 250) % 250}.${n % 250}.${(n * 7) % 250}`,
      privateIp: `172.31.${Math.floor(n / 250) % 250}.${n % 250}`,
      monitoring: false,
      subnetId: 'subnet-0a0b0c0d0e0f00001',
      vpcId: account.defaultVpc ?? 'vpc-0000000000000custom',
      groups: [{ id: 'sg-0123456789abcdef0', name: 'default' }],
      userData: null
    }
    account.instances.set(instance.id, instance)
    return instance
  }

  #instance (account: Account, id: string): FakeInstance {
    const instance = account.instances.get(id)
    if (instance === undefined) throw new AwsFault(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`)
    this.#tick(instance)
    return instance
  }

  #shown (instance: FakeInstance): Record<string, unknown> {
    this.#tick(instance)
    const codes: Record<string, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 }
    const up = instance.state !== 'terminated' && instance.state !== 'stopped'
    return {
      instanceId: instance.id,
      imageId: instance.image,
      instanceState: { code: codes[instance.state] ?? 0, name: instance.state },
      privateDnsName: `ip-${instance.privateIp.replace(/\./g, '-')}.ap-northeast-1.compute.internal`,
      dnsName: up ? `ec2-${instance.publicIp.replace(/\./g, '-')}.ap-northeast-1.compute.amazonaws.com` : '',
      keyName: instance.keyName ?? undefined,
      amiLaunchIndex: 0,
      productCodes: [],
      instanceType: instance.type,
      launchTime: instance.launchTime,
      placement: { availabilityZone: instance.zone, groupName: '', tenancy: 'default' },
      monitoring: { state: instance.monitoring ? 'enabled' : 'disabled' },
      subnetId: instance.subnetId,
      vpcId: instance.vpcId,
      privateIpAddress: instance.privateIp,
      ipAddress: up ? instance.publicIp : undefined,
      groupSet: instance.groups.map((group) => ({ groupId: group.id, groupName: group.name })),
      architecture: 'x86_64',
      rootDeviceType: 'ebs',
      clientToken: instance.clientToken,
      tagSet: [...instance.tags].map(([key, value]) => ({ key, value }))
    }
  }

  /** A page of `items` after the opaque token, `max` long (EC2 checks MaxResults' range). */
  #page<T> (items: T[], params: URLSearchParams, range: [number, number]): { items: T[], nextToken: string | undefined } {
    const raw = params.get('MaxResults')
    const max = raw === null ? range[1] : Number(raw)
    if (!Number.isInteger(max) || max < range[0] || max > range[1]) throw new AwsFault(400, 'InvalidParameterValue', `Value (${String(raw)}) for parameter maxResults is invalid. Expecting a value between ${range[0]} and ${range[1]}.`)
    const token = params.get('NextToken')
    const start = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString())
    if (!Number.isInteger(start)) throw new AwsFault(400, 'InvalidPaginationToken', 'The pagination token is invalid.')
    const end = start + max
    return { items: items.slice(start, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined }
  }

  #act (account: Account, action: string, params: URLSearchParams): Record<string, unknown> {
    switch (action) {
      case 'DescribeAccountAttributes':
        return { accountAttributeSet: [{ attributeName: 'default-vpc', attributeValueSet: [{ attributeValue: account.defaultVpc ?? 'none' }] }] }
      case 'DescribeRegions':
        return { regionInfo: [{ regionName: EC2_REGION, regionEndpoint: `ec2.${EC2_REGION}.amazonaws.com` }] }
      case 'DescribeAvailabilityZones':
        return { availabilityZoneInfo: EC2_ZONES.map((zone, i) => ({ zoneName: zone, zoneState: 'available', regionName: EC2_REGION, zoneId: `apne1-az${i + 1}`, zoneType: 'availability-zone' })) }
      case 'DescribeInstanceTypeOfferings': {
        const page = this.#page([...OFFERED], params, [5, 1000])
        return { instanceTypeOfferingSet: page.items.map((type) => ({ instanceType: type, locationType: 'region', location: EC2_REGION })), nextToken: page.nextToken }
      }
      case 'DescribeInstanceTypes': {
        const page = this.#page(EC2_TYPES, params, [5, 100])
        return {
          instanceTypeSet: page.items.map((type) => ({
            instanceType: type.type,
            vCpuInfo: { defaultVCpus: type.vcpus },
            memoryInfo: { sizeInMiB: type.mib },
            instanceStorageSupported: type.storageGb !== null,
            instanceStorageInfo: type.storageGb === null ? undefined : { totalSizeInGB: type.storageGb }
          })),
          nextToken: page.nextToken
        }
      }
      case 'DescribeImages': {
        const owners = listOf(params, 'Owner')
        const ids = listOf(params, 'ImageId')
        const filters = filtersOf(params)
        const all = [...PUBLIC_IMAGES, ...account.images]
        const chosen = all.filter((image) =>
          (ids.length === 0 || ids.includes(image.imageId!)) &&
          (owners.length === 0 || owners.some((owner) => owner === image.owner || owner === image.alias || (owner === 'self' && account.images.includes(image)))) &&
          (filters.get('name')?.some((pattern) => wildcard(pattern).test(image.name!)) ?? true))
        if (ids.length > 0 && params.has('MaxResults')) throw new AwsFault(400, 'InvalidParameterCombination', 'The parameter imageIdsSet cannot be used with the parameter maxResults')
        if (ids.length > 0 && chosen.length < ids.length) throw new AwsFault(400, 'InvalidAMIID.NotFound', `The image id '[${ids.filter((id) => !chosen.some((image) => image.imageId === id)).join(', ')}]' does not exist`)
        const page = this.#page(chosen, params, [5, 1000])
        return {
          imagesSet: page.items.map((image) => ({
            imageId: image.imageId,
            imageLocation: `${image.owner}/${image.name}`,
            imageState: 'available',
            imageOwnerId: image.owner,
            creationDate: image.created,
            isPublic: !account.images.includes(image),
            architecture: 'x86_64',
            imageType: 'machine',
            name: image.name,
            imageOwnerAlias: image.alias === '' ? undefined : image.alias
          })),
          nextToken: page.nextToken
        }
      }
      case 'DescribeInstances': {
        const ids = listOf(params, 'InstanceId')
        const hourAgo = Date.now() - 3_600_000
        const listed = this.instances(account.accessKeyId).filter((instance) => (ids.length === 0 || ids.includes(instance.id)) && (instance.terminatedAt ?? Infinity) > hourAgo)
        const page = this.#page(listed, params, [5, this.pageSize])
        return {
          reservationSet: page.items.map((instance) => ({ reservationId: `r-${instance.id.slice(2)}`, ownerId: '123456789012', groupSet: [], instancesSet: [this.#shown(instance)] })),
          nextToken: page.nextToken
        }
      }
      case 'RunInstances': return this.#run(account, params)
      case 'StartInstances': return this.#change(account, params, { from: ['stopped'], via: 'pending', to: 'running' })
      case 'StopInstances': return this.#change(account, params, { from: ['running', 'pending'], via: 'stopping', to: 'stopped' })
      case 'TerminateInstances': return this.#change(account, params, { from: ['pending', 'running', 'stopping', 'stopped'], via: 'shutting-down', to: 'terminated' })
      case 'RebootInstances': {
        for (const id of listOf(params, 'InstanceId')) {
          const instance = this.#instance(account, id)
          if (instance.state !== 'running') throw new AwsFault(400, 'IncorrectState', `The instance '${id}' is not in a state from which it can be rebooted.`)
        }
        return { return: true }
      }
      case 'CreateTags': {
        const resources = listOf(params, 'ResourceId')
        const instances = resources.map((id) => this.#instance(account, id))
        for (let i = 1; params.has(`Tag.${i}.Key`); i++) {
          for (const instance of instances) instance.tags.set(params.get(`Tag.${i}.Key`)!, params.get(`Tag.${i}.Value`) ?? '')
        }
        return { return: true }
      }
      case 'DescribeKeyPairs': {
        const names = listOf(params, 'KeyName')
        const missing = names.find((name) => !account.keyPairs.has(name))
        if (missing !== undefined) throw new AwsFault(400, 'InvalidKeyPair.NotFound', `The key pair '${missing}' does not exist`)
        const shown = names.length === 0 ? [...account.keyPairs.keys()] : names
        return { keySet: shown.map((name) => ({ keyName: name, keyFingerprint: account.keyPairs.get(name)!.fingerprint, keyPairId: account.keyPairs.get(name)!.id })) }
      }
      case 'ImportKeyPair': {
        const name = params.get('KeyName') ?? ''
        if (account.keyPairs.has(name)) throw new AwsFault(400, 'InvalidKeyPair.Duplicate', `The keypair '${name}' already exists.`)
        const material = Buffer.from(params.get('PublicKeyMaterial') ?? '', 'base64').toString()
        if (!/^(ssh-rsa|ssh-ed25519) [A-Za-z0-9+/=]+/.test(material)) throw new AwsFault(400, 'InvalidKey.Format', 'Key is not in valid OpenSSH public key format')
        const fingerprint = createHash('md5').update(Buffer.from(material.split(' ')[1]!, 'base64')).digest('hex').replace(/(..)(?!$)/g, '$1:')
        account.keyPairs.set(name, { fingerprint, material, id: `key-${randomBytes(8).toString('hex')}` })
        return { keyName: name, keyFingerprint: fingerprint, keyPairId: account.keyPairs.get(name)!.id }
      }
      default:
        throw new AwsFault(400, 'InvalidAction', `The action ${action} is not valid for this web service.`)
    }
  }

  #run (account: Account, params: URLSearchParams): Record<string, unknown> {
    const token = params.get('ClientToken') ?? ''
    // The same ClientToken answers the instance it made (EC2's idempotency), for as long as it is listed.
    const made = token === '' ? undefined : [...account.instances.values()].find((instance) => instance.clientToken === token)
    if (made !== undefined) return { reservationId: `r-${made.id.slice(2)}`, ownerId: '123456789012', groupSet: [], instancesSet: [this.#shown(made)] }
    const type = params.get('InstanceType') ?? 'm1.small'
    if (!EC2_TYPES.some((candidate) => candidate.type === type)) throw new AwsFault(400, 'InvalidParameterValue', `Invalid value '${type}' for InstanceType.`)
    if (!OFFERED.has(type)) throw new AwsFault(400, 'Unsupported', `Your requested instance type (${type}) is not supported in your requested Availability Zone.`)
    const image = params.get('ImageId') ?? ''
    if (![...PUBLIC_IMAGES, ...account.images].some((candidate) => candidate.imageId === image)) throw new AwsFault(400, 'InvalidAMIID.NotFound', `The image id '[${image}]' does not exist`)
    const zone = params.get('Placement.AvailabilityZone') ?? EC2_ZONES[0]!
    if (!EC2_ZONES.includes(zone)) throw new AwsFault(400, 'InvalidParameterValue', `Invalid availability zone: [${zone}]`)
    const subnet = params.get('SubnetId')
    if (subnet === null && account.defaultVpc === null) throw new AwsFault(400, 'VPCIdNotSpecified', 'No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.')
    const keyName = params.get('KeyName')
    if (keyName !== null && !account.keyPairs.has(keyName)) throw new AwsFault(400, 'InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`)
    const instance = this.#newInstance(account, { type, image, zone, clientToken: token })
    instance.keyName = keyName
    instance.userData = params.get('UserData')
    instance.monitoring = params.get('Monitoring.Enabled') === 'true'
    if (subnet !== null) { instance.subnetId = subnet; instance.vpcId = 'vpc-0000000000000custom' }
    const groups = listOf(params, 'SecurityGroupId')
    if (groups.length > 0) instance.groups = groups.map((id) => ({ id, name: id }))
    for (let i = 1; params.has(`TagSpecification.${i}.ResourceType`); i++) {
      for (let j = 1; params.has(`TagSpecification.${i}.Tag.${j}.Key`); j++) instance.tags.set(params.get(`TagSpecification.${i}.Tag.${j}.Key`)!, params.get(`TagSpecification.${i}.Tag.${j}.Value`) ?? '')
    }
    instance.target = 'running'
    instance.settlesAt = Date.now() + this.bootMs
    return { reservationId: `r-${instance.id.slice(2)}`, ownerId: '123456789012', groupSet: [], instancesSet: [this.#shown(instance)] }
  }

  #change (account: Account, params: URLSearchParams, rule: { from: string[], via: string, to: string }): Record<string, unknown> {
    const ids = listOf(params, 'InstanceId')
    const instances = ids.map((id) => this.#instance(account, id))
    const refused = instances.find((instance) => !rule.from.includes(instance.state) && instance.state !== rule.via && instance.state !== rule.to)
    if (refused !== undefined) throw new AwsFault(400, 'IncorrectInstanceState', `The instance '${refused.id}' is not in a state from which it can be changed (${refused.state}).`)
    return {
      instancesSet: instances.map((instance) => {
        const previous = instance.state
        if (rule.from.includes(instance.state)) {
          instance.state = rule.via
          instance.target = rule.to
          instance.settlesAt = Date.now() + (rule.via === 'pending' ? this.bootMs : this.actionMs)
        }
        return { instanceId: instance.id, currentState: { name: instance.state }, previousState: { name: previous } }
      })
    }
  }

  /** GetProducts: the region's rows that match every TERM_MATCH filter, 100 a page at most. */
  #pricing (request: FakeRequest, response: ServerResponse, account: Account): void {
    const target = String(request.headers['x-amz-target'])
    this.actions.push({ accessKeyId: account.accessKeyId, action: target })
    if (target !== 'AWSPriceListService.GetProducts') throw new AwsFault(400, 'UnknownOperationException', target)
    if (!account.pricesAllowed) throw new AwsFault(400, 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/stratus is not authorized to perform: pricing:GetProducts')
    const body = (typeof request.body === 'object' ? request.body : JSON.parse(request.rawBody)) as { ServiceCode?: string, Filters?: Array<{ Field: string, Value: string }>, NextToken?: string, MaxResults?: number }
    if (body.ServiceCode !== 'AmazonEC2') throw new AwsFault(400, 'InvalidParameterException', 'Input parameters are invalid. Invalid service code.')
    const region = body.Filters?.find((filter) => filter.Field === 'regionCode')?.Value ?? ''
    const rows = [...priceRows(EC2_REGION), ...priceRows('us-east-1').filter((row) => row.attributes.regionCode === 'us-east-1')]
      .filter((row) => (body.Filters ?? []).every((filter) => row.attributes[filter.Field] === filter.Value) && (region === '' || row.attributes.regionCode === region))
    const max = Math.min(body.MaxResults ?? 100, 100)
    // Pages of two, so that paging is exercised with a handful of rows.
    const size = Math.min(max, 2)
    const start = body.NextToken === undefined ? 0 : Number(body.NextToken)
    const page = rows.slice(start, start + size).map((row, i) => JSON.stringify({
      product: { productFamily: 'Compute Instance', attributes: row.attributes, sku: `SKU${start + i}` },
      serviceCode: 'AmazonEC2',
      terms: { OnDemand: { [`SKU${start + i}.JRTCKXETXF`]: { priceDimensions: { [`SKU${start + i}.JRTCKXETXF.6YS6EN2CT7`]: { unit: 'Hrs', pricePerUnit: { USD: row.usd }, description: 'per On Demand Linux Hour' } }, sku: `SKU${start + i}` } } },
      version: '20261201000000',
      publicationDate: '2026-12-01T00:00:00Z'
    }))
    sendJson(response, 200, { FormatVersion: 'aws_v1', PriceList: page, ...(start + size < rows.length ? { NextToken: String(start + size) } : {}) }, { 'content-type': 'application/x-amz-json-1.1' })
  }
}
