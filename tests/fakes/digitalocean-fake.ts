import type { ServerResponse } from 'node:http'
import { createHash } from 'node:crypto'
import { CloudFake, sendJson, type FakeRequest } from './https-fake.ts'

/**
 * DigitalOcean's API v2 as its public reference describes it (docs.digitalocean.com/reference/api):
 * bearer tokens per account, `links.pages.next` pagination (absolute URLs), error bodies
 * `{"id", "message"}`, the RateLimit-* headers on every answer, droplets that go new -> active,
 * actions that take time, tags that must exist before they are attached.
 */
export interface FakeDroplet {
  id: number
  name: string
  status: 'new' | 'active' | 'off' | 'archive' | string
  size_slug: string
  region: string
  image: string
  tags: string[]
  user_data: string | null
  ssh_keys: string[]
  monitoring: boolean
  created_at: string
  publicIp: string
  privateIp: string
  /** A transitional status settles into `target` at `settlesAt`. */
  target?: string
  settlesAt?: number
}

/** A droplet action, as GET /v2/actions/{id} shows it: in-progress until `endsAt`, then completed (or errored). */
interface FakeAction { id: number, type: string, resource_id: number, started_at: string, endsAt: number, errored: boolean }

interface Account {
  token: string
  droplets: Map<number, FakeDroplet>
  keys: Map<string, { id: number, fingerprint: string, public_key: string, name: string }>
  tags: Set<string>
  actions: Map<number, FakeAction>
}

export const DO_SIZES = [
  { slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, transfer: 1, price_monthly: 6, price_hourly: 0.00893, regions: ['ams3', 'nyc1'], available: true, description: 'Basic' },
  { slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, transfer: 4, price_monthly: 24, price_hourly: 0.03571, regions: ['ams3', 'nyc1'], available: true, description: 'Basic' },
  { slug: 'c-4', memory: 8192, vcpus: 4, disk: 50, transfer: 5, price_monthly: 84, price_hourly: 0.125, regions: ['nyc1'], available: true, description: 'CPU-Optimized' }
]
export const DO_REGIONS = [
  { slug: 'ams3', name: 'Amsterdam 3', available: true, sizes: ['s-1vcpu-1gb'], features: [] },
  { slug: 'nyc1', name: 'New York 1', available: true, sizes: ['s-1vcpu-1gb'], features: [] },
  { slug: 'sgp1', name: 'Singapore 1', available: true, sizes: ['s-1vcpu-1gb'], features: [] }
]
const DISTRIBUTIONS = [
  { id: 101, name: '24.04 (LTS) x64', distribution: 'Ubuntu', slug: 'ubuntu-24-04-x64', public: true, regions: ['ams3', 'nyc1'], type: 'base' },
  { id: 102, name: '12 x64', distribution: 'Debian', slug: 'debian-12-x64', public: true, regions: ['ams3', 'nyc1'], type: 'base' }
]

export interface DigitalOceanFakeOptions { bootMs?: number, actionMs?: number }

export class DigitalOceanFake extends CloudFake {
  readonly #accounts = new Map<string, Account>()
  #nextId = 1000
  bootMs: number
  actionMs: number
  /** The next droplet action is accepted but ends `errored`, leaving the droplet as it was (a shutdown the OS ignored). */
  failNextAction = false

  constructor (options: DigitalOceanFakeOptions = {}) {
    super()
    this.bootMs = options.bootMs ?? 300
    this.actionMs = options.actionMs ?? 300
  }

  /** The API base, as DIGITALOCEAN_API_URL takes it. */
  get url (): string { return `${this.origin}/v2` }

  account (token: string): Account {
    let account = this.#accounts.get(token)
    if (account === undefined) {
      account = { token, droplets: new Map(), keys: new Map(), tags: new Set(), actions: new Map() }
      this.#accounts.set(token, account)
    }
    return account
  }

  /** A droplet made outside Stratus (the console, another tool). */
  addDroplet (token: string, fields: Partial<FakeDroplet> = {}): FakeDroplet {
    const id = this.#nextId++
    const droplet: FakeDroplet = {
      id,
      name: `outside-${id}`,
      status: 'active',
      size_slug: 's-1vcpu-1gb',
      region: 'ams3',
      image: 'ubuntu-24-04-x64',
      tags: [],
      user_data: null,
      ssh_keys: [],
      monitoring: false,
      created_at: new Date().toISOString(),
      publicIp: ip('198.51.100', id),
      privateIp: ip('10.110', id),
      ...fields
    }
    this.account(token).droplets.set(id, droplet)
    return droplet
  }

  /** Actions the account ran elsewhere (completed), newer than any so far: they push older ones off the first page of GET /v2/actions. */
  addOtherActions (token: string, count: number): void {
    const account = this.account(token)
    for (let i = 0; i < count; i++) {
      const id = this.#nextId++
      account.actions.set(id, { id, type: 'snapshot', resource_id: 0, started_at: new Date().toISOString(), endsAt: Date.now(), errored: false })
    }
  }

  droplets (token: string): FakeDroplet[] { return [...this.account(token).droplets.values()].map((droplet) => this.#settle(droplet)) }

  #settle (droplet: FakeDroplet): FakeDroplet {
    if (droplet.target !== undefined && droplet.settlesAt !== undefined && droplet.settlesAt <= Date.now()) {
      droplet.status = droplet.target
      delete droplet.target
      delete droplet.settlesAt
    }
    return droplet
  }

  #present (droplet: FakeDroplet) {
    const size = DO_SIZES.find((candidate) => candidate.slug === droplet.size_slug) ?? DO_SIZES[0]!
    const image = DISTRIBUTIONS.find((candidate) => candidate.slug === droplet.image)
    // Addresses appear once the droplet has booted, as on DigitalOcean.
    const booted = droplet.status !== 'new'
    return {
      id: droplet.id,
      name: droplet.name,
      memory: size.memory,
      vcpus: size.vcpus,
      disk: size.disk,
      locked: false,
      status: droplet.status,
      created_at: droplet.created_at,
      features: droplet.monitoring ? ['monitoring'] : [],
      backup_ids: [],
      snapshot_ids: [],
      image: { id: image?.id ?? 0, name: image?.name ?? droplet.image, distribution: image?.distribution ?? 'Unknown', slug: image?.slug ?? null, public: image !== undefined },
      volume_ids: [],
      size: { ...size },
      size_slug: droplet.size_slug,
      networks: booted
        ? { v4: [{ ip_address: droplet.publicIp, netmask: '255.255.240.0', gateway: '198.51.100.1', type: 'public' }, { ip_address: droplet.privateIp, netmask: '255.255.0.0', gateway: '10.110.0.1', type: 'private' }], v6: [] }
        : { v4: [], v6: [] },
      region: { ...(DO_REGIONS.find((region) => region.slug === droplet.region) ?? { slug: droplet.region, name: droplet.region }) },
      tags: droplet.tags,
      vpc_uuid: '5a4981aa-9653-4bd1-bef5-d6bff52042e4'
    }
  }

  protected faultBody (status: number): unknown {
    return status === 429
      ? { id: 'too_many_requests', message: 'API Rate limit exceeded.' }
      : { id: 'server_error', message: 'Server was unable to give you a response.' }
  }

  protected async handle (request: FakeRequest, res: ServerResponse, token: string | null): Promise<void> {
    const rate = { 'ratelimit-limit': '5000', 'ratelimit-remaining': '4999', 'ratelimit-reset': String(Math.floor(Date.now() / 1000) + 60) }
    if (token === null || !this.#accounts.has(token)) return sendJson(res, 401, { id: 'unauthorized', message: 'Unable to authenticate you' }, rate)
    const account = this.account(token)
    const path = request.url.pathname.replace(/^\/v2/, '')
    const send = (status: number, body?: unknown) => sendJson(res, status, body, rate)
    const parts = path.split('/').filter(Boolean)
    const body = (request.body ?? {}) as Record<string, unknown>

    if (request.method === 'GET' && path === '/account') {
      return send(200, { account: { droplet_limit: 25, email: `${token.slice(0, 4)}@example.com`, uuid: 'b6fr89dbf6d9156cace5f3c78dc9851d957381ef', email_verified: true, status: 'active' } })
    }
    if (request.method === 'GET' && path === '/droplets') {
      return this.#page(request, send, 'droplets', this.droplets(token).map((droplet) => this.#present(droplet)))
    }
    if (parts[0] === 'droplets' && parts.length === 2) {
      const droplet = account.droplets.get(Number(parts[1]))
      if (droplet === undefined) return send(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' })
      if (request.method === 'GET') return send(200, { droplet: this.#present(this.#settle(droplet)) })
      if (request.method === 'DELETE') { account.droplets.delete(droplet.id); return send(204) }
    }
    if (request.method === 'POST' && path === '/droplets') {
      const problems = [
        typeof body.name === 'string' && /^[a-zA-Z0-9.-]+$/.test(body.name) ? null : 'Name Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)',
        DO_SIZES.some((size) => size.slug === body.size) ? null : 'Size is not available in this region.',
        DO_REGIONS.some((region) => region.slug === body.region) ? null : 'Region is not available',
        DISTRIBUTIONS.some((image) => image.slug === body.image) ? null : 'You specified an invalid image for Droplet creation.'
      ].filter((problem) => problem !== null)
      const keys = (body.ssh_keys ?? []) as string[]
      if (keys.some((key) => ![...account.keys.values()].some((known) => known.fingerprint === key || String(known.id) === key))) problems.push('You specified an invalid ssh key.')
      if (problems.length > 0) return send(422, { id: 'unprocessable_entity', message: problems.join(' ') })
      const id = this.#nextId++
      const tags = (body.tags ?? []) as string[]
      for (const tag of tags) account.tags.add(tag)
      const droplet: FakeDroplet = {
        id,
        name: body.name as string,
        status: 'new',
        size_slug: body.size as string,
        region: body.region as string,
        image: body.image as string,
        tags,
        user_data: (body.user_data as string | undefined) ?? null,
        ssh_keys: keys,
        monitoring: body.monitoring === true,
        created_at: new Date().toISOString(),
        publicIp: ip('203.0.113', id),
        privateIp: ip('10.110', id),
        target: 'active',
        settlesAt: Date.now() + this.bootMs
      }
      account.droplets.set(id, droplet)
      return send(202, { droplet: this.#present(droplet), links: { actions: [{ id: id * 10, rel: 'create', href: `${this.url}/actions/${id * 10}` }] } })
    }
    if (request.method === 'POST' && parts[0] === 'droplets' && parts[2] === 'actions') {
      const droplet = account.droplets.get(Number(parts[1]))
      if (droplet === undefined) return send(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' })
      this.#settle(droplet)
      const moves: Record<string, { from: string, to: string, via?: string }> = {
        power_on: { from: 'off', to: 'active' }, shutdown: { from: 'active', to: 'off' }, power_off: { from: 'active', to: 'off' }, reboot: { from: 'active', to: 'active' }
      }
      const move = moves[String(body.type)]
      if (move === undefined) return send(422, { id: 'unprocessable_entity', message: `${String(body.type)} is not a valid action type` })
      if (droplet.status !== move.from || droplet.target !== undefined) return send(422, { id: 'unprocessable_entity', message: `Droplet is currently ${droplet.status}; cannot ${String(body.type)}` })
      const errored = this.failNextAction
      this.failNextAction = false
      const action: FakeAction = { id: this.#nextId++, type: String(body.type), resource_id: droplet.id, started_at: new Date().toISOString(), endsAt: Date.now() + this.actionMs, errored }
      account.actions.set(action.id, action)
      if (!errored) {
        droplet.target = move.to
        droplet.settlesAt = action.endsAt
      }
      return send(201, { action: presentAction(action) })
    }
    if (request.method === 'GET' && path === '/actions') {
      // The account's actions, newest first, as DigitalOcean lists them.
      return this.#page(request, send, 'actions', [...account.actions.values()].sort((a, b) => b.id - a.id).map(presentAction))
    }
    if (request.method === 'GET' && parts[0] === 'actions' && parts.length === 2) {
      const action = account.actions.get(Number(parts[1]))
      if (action === undefined) return send(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' })
      return send(200, { action: presentAction(action) })
    }
    if (request.method === 'GET' && path === '/sizes') return this.#page(request, send, 'sizes', DO_SIZES)
    if (request.method === 'GET' && path === '/regions') return this.#page(request, send, 'regions', DO_REGIONS)
    if (request.method === 'GET' && path === '/images') {
      const own = request.url.searchParams.get('private') === 'true'
      return this.#page(request, send, 'images', own ? [{ id: 9001, name: 'my-golden-image', distribution: 'Ubuntu', slug: null, public: false, regions: ['ams3'], type: 'snapshot' }] : DISTRIBUTIONS)
    }
    if (parts[0] === 'account' && parts[1] === 'keys') {
      if (request.method === 'GET' && parts.length === 3) {
        const key = [...account.keys.values()].find((candidate) => candidate.fingerprint === parts[2] || String(candidate.id) === parts[2])
        return key === undefined ? send(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' }) : send(200, { ssh_key: key })
      }
      if (request.method === 'POST' && parts.length === 2) {
        const publicKey = String(body.public_key ?? '')
        const blob = publicKey.split(/\s+/)[1] ?? ''
        const fingerprint = createHash('md5').update(Buffer.from(blob, 'base64')).digest('hex').replace(/(..)(?!$)/g, '$1:')
        if (account.keys.has(fingerprint)) return send(422, { id: 'unprocessable_entity', message: 'SSH Key is already in use on your account' })
        const key = { id: this.#nextId++, fingerprint, public_key: publicKey, name: String(body.name ?? '') }
        account.keys.set(fingerprint, key)
        return send(201, { ssh_key: key })
      }
    }
    if (request.method === 'POST' && path === '/tags') {
      const name = String(body.name ?? '')
      if (!/^[a-zA-Z0-9_\-:]{1,255}$/.test(name)) return send(422, { id: 'unprocessable_entity', message: 'name is invalid' })
      account.tags.add(name)
      return send(201, { tag: { name, resources: { count: 0 } } })
    }
    if (request.method === 'POST' && parts[0] === 'tags' && parts[2] === 'resources') {
      const name = decodeURIComponent(parts[1]!)
      if (!account.tags.has(name)) return send(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' })
      for (const resource of (body.resources ?? []) as Array<{ resource_id: string }>) {
        const droplet = account.droplets.get(Number(resource.resource_id))
        if (droplet === undefined) return send(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' })
        if (!droplet.tags.includes(name)) droplet.tags.push(name)
      }
      return send(204)
    }
    return send(404, { id: 'not_found', message: 'The resource you were accessing could not be found.' })
  }

  #page (request: FakeRequest, send: (status: number, body: unknown) => void, key: string, items: unknown[]): void {
    const perPage = Math.min(200, Math.max(1, Number(request.url.searchParams.get('per_page') ?? 20)))
    const page = Math.max(1, Number(request.url.searchParams.get('page') ?? 1))
    const last = Math.max(1, Math.ceil(items.length / perPage))
    const link = (n: number) => {
      const url = new URL(`${this.origin}${request.url.pathname}`)
      for (const [name, value] of request.url.searchParams) url.searchParams.set(name, value)
      url.searchParams.set('page', String(n))
      url.searchParams.set('per_page', String(perPage))
      return url.toString()
    }
    const pages: Record<string, string> = {}
    if (page > 1) { pages.first = link(1); pages.prev = link(page - 1) }
    if (page < last) { pages.next = link(page + 1); pages.last = link(last) }
    send(200, { [key]: items.slice((page - 1) * perPage, page * perPage), links: { pages }, meta: { total: items.length } })
  }
}

const ip = (prefix: string, n: number): string => prefix.split('.').length === 3
  ? `${prefix}.${1 + (n % 250)}`
  : `${prefix}.${Math.floor(n / 250) % 250}.${1 + (n % 250)}`

function presentAction (action: FakeAction) {
  const ended = action.endsAt <= Date.now()
  return {
    id: action.id,
    status: !ended ? 'in-progress' : action.errored ? 'errored' : 'completed',
    type: action.type,
    started_at: action.started_at,
    completed_at: ended ? new Date(action.endsAt).toISOString() : null,
    resource_id: action.resource_id,
    resource_type: 'droplet',
    region_slug: 'ams3'
  }
}
