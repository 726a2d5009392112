import type { AxiosError, AxiosInstance } from 'axios'
import type { DigitalOcean } from 'digitalocean-js'
import type { MachineAction } from '../../domain/lifecycle.ts'
import { md5FingerprintOf, parsePublicKey } from '../../domain/ssh-keys.ts'
import type { BackendConnection, CreateMachineSpec, OperationLooks, OperationOutcome, OperationRef, ProviderDriver, ProviderImage, ProviderLocation, ProviderLog, ProviderMachine, ProviderSize } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import { followEach } from '../kit/follow-each.ts'
import type { CallOptions } from '../kit/call-with-retries.ts'
import { CloudCalls } from '../kit/cloud-calls.ts'
import { httpFailure, networkFailure } from '../kit/http-failure.ts'
import { followLinks } from '../kit/link-pager.ts'
import { operationRef } from '../kit/operation-ref.ts'
import { stateOf } from '../kit/status-table.ts'
import { CLIENT_TOKEN_TAG, countryOfRegion } from './catalog.ts'
import { DigitalOceanSdk } from './sdk.ts'
import { DROPLET_ACTIONS, DROPLET_STATES } from './states.ts'

/** The largest page DigitalOcean serves: 10,000 droplets are 50 calls, not 500. */
const PER_PAGE = 200

interface Droplet {
  id: number
  name: string
  status: string
  size_slug: string
  created_at: string
  memory?: number
  vcpus?: number
  disk?: number
  locked?: boolean
  image?: { id?: number, slug?: string | null, name?: string } | null
  region?: { slug?: string } | null
  networks?: { v4?: Array<{ ip_address: string, type: string }>, v6?: Array<{ ip_address: string, type: string }> }
  tags?: string[]
}

const READ: CallOptions = { idempotent: true }

/** A droplet action being followed, as it is kept on the machine (the same data in version 0). */
interface FollowedAction { type: string, id: number }
const ACTION_KIND = 'digitalocean-action'

/**
 * DigitalOcean through digitalocean-js: the library's services for what they do whole (create,
 * actions, keys, tags), its own axios instance for lists, which it would read only one page of.
 */
export class DigitalOceanDriver implements ProviderDriver {
  readonly #sdk: DigitalOceanSdk
  readonly #apiUrl: string
  readonly #calls: CloudCalls
  readonly #log: ProviderLog

  constructor (connection: BackendConnection, apiUrl: string) {
    this.#sdk = new DigitalOceanSdk(String(connection.credentials.token), apiUrl, connection.policy.timeoutMs)
    this.#apiUrl = apiUrl
    this.#calls = new CloudCalls(connection.policy, classify)
    this.#log = connection.log
  }

  /** Every request of the library runs as this backend (its token, through the shared library's interceptor). */
  #call<T> (options: CallOptions, attempt: (client: DigitalOcean, http: AxiosInstance) => Promise<T>): Promise<T> {
    return this.#calls.call(options, async () => this.#sdk.run(attempt))
  }

  /** Every page of a list, following the absolute `links.pages.next` (the first page asks for the largest). */
  async #all<T> (path: string, key: string, params: Record<string, string> = {}): Promise<T[]> {
    const first = `${this.#apiUrl}${path}?${new URLSearchParams({ ...params, per_page: String(PER_PAGE) })}`
    return followLinks<T>('digitalocean', first, async (url) => {
      const page = await this.#call(READ, async (_client, http) => (await http.get(url)).data as Record<string, unknown>)
      const got = page[key]
      if (!Array.isArray(got)) throw new ProviderError('server-error', `digitalocean: the ${key} page has no ${key} list`)
      return { items: got as T[], next: (page.links as { pages?: { next?: string } } | undefined)?.pages?.next }
    })
  }

  async checkCredentials (): Promise<void> {
    await this.#call(READ, async (client) => client.account.getUserInformation())
  }

  async listSizes (): Promise<ProviderSize[]> {
    const sizes = await this.#all<{ slug: string, description?: string, vcpus: number, memory: number, disk: number, price_hourly?: number | null, available?: boolean }>('/sizes', 'sizes')
    return sizes.map((size) => ({
      id: size.slug,
      name: `${size.description ?? size.slug} (${size.vcpus} vCPU, ${size.memory} MiB, ${size.disk} GB)`,
      cpus: size.vcpus,
      ramMb: size.memory,
      diskGb: size.disk,
      hourlyPrice: typeof size.price_hourly === 'number' ? size.price_hourly.toFixed(6) : null,
      currency: 'USD'
    }))
  }

  /** Public distributions and the account's own images (snapshots, custom images). */
  async listImages (): Promise<ProviderImage[]> {
    type Image = { id: number, slug: string | null, name: string, distribution: string, public: boolean, type?: string }
    const [distributions, own] = await Promise.all([
      this.#all<Image>('/images', 'images', { type: 'distribution' }),
      this.#all<Image>('/images', 'images', { private: 'true' })
    ])
    return [...distributions, ...own].map((image) => ({
      id: image.slug ?? String(image.id),
      name: `${image.distribution} ${image.name}`,
      extra: { image_id: image.id, distribution: image.distribution, public: image.public, type: image.type ?? null }
    }))
  }

  async listLocations (): Promise<ProviderLocation[]> {
    const regions = await this.#all<{ slug: string, name: string, available: boolean }>('/regions', 'regions')
    return regions.filter((region) => region.available).map((region) => ({ id: region.slug, name: region.name, country: countryOfRegion(region.slug) }))
  }

  async listMachines (): Promise<ProviderMachine[]> {
    return (await this.#all<Droplet>('/droplets', 'droplets')).map((droplet) => this.#present(droplet))
  }

  async createMachine (spec: CreateMachineSpec): Promise<ProviderMachine> {
    const sshKeys = spec.publicKey === null ? [] : [await this.#accountKey(spec.publicKey, spec.name)]
    const request = {
      name: spec.name,
      region: spec.location,
      size: spec.size,
      image: spec.image,
      ssh_keys: sshKeys,
      user_data: spec.script,
      monitoring: spec.monitoring,
      // Our uuid as a tag: a create whose answer was lost is found by the next sync.
      tags: [`${CLIENT_TOKEN_TAG}${spec.clientToken}`]
    }
    const droplet = await this.#call({ idempotent: false }, async (client) => client.droplets.createNewDroplet(request as never) as Promise<unknown> as Promise<Droplet>)
    return this.#present(droplet)
  }

  /** The account key with this key's fingerprint, registered first when the account lacks it. */
  async #accountKey (publicKey: string, machineName: string): Promise<string> {
    const parsed = parsePublicKey(publicKey)
    if (parsed === null) throw new ProviderError('invalid-request', 'digitalocean: the key is not an OpenSSH public key')
    const fingerprint = md5FingerprintOf(parsed)
    try {
      await this.#call(READ, async (client) => client.ssh.getExistingKey(fingerprint))
      return fingerprint
    } catch (error) {
      if (!(error instanceof ProviderError && error.failure === 'not-found')) throw error
    }
    try {
      await this.#call({ idempotent: false }, async (client) => client.ssh.createNewKey({ name: `stratus ${machineName}`.slice(0, 255), public_key: parsed.line } as never))
    } catch (error) {
      // Registered meanwhile by a concurrent create: the key is there, which is all we need.
      if (!(error instanceof ProviderError && error.failure === 'invalid-request')) throw error
      await this.#call(READ, async (client) => client.ssh.getExistingKey(fingerprint))
    }
    return fingerprint
  }

  /**
   * A droplet action, returned to be followed (GET /v2/actions/{id}) until it has completed or
   * errored: the droplet's status alone cannot tell a slow shutdown from one that failed (it
   * reads "active" either way). Destroy is a DELETE with nothing to follow.
   */
  async performAction (id: string, action: MachineAction): Promise<{ operation?: OperationRef }> {
    if (action === 'destroy') {
      await this.#call(READ, async (client) => client.droplets.deleteDroplet(dropletId(id)))
      return {}
    }
    const type = DROPLET_ACTIONS[action]
    const droplet = dropletId(id)
    const started = await this.#call(READ, async ({ dropletActions: services }) => type === 'power_on'
      ? services.powerOnDroplet(droplet)
      : type === 'shutdown' ? services.shutdownDroplet(droplet) : services.rebootDroplet(droplet)) as { id?: number } | undefined
    return typeof started?.id === 'number' ? { operation: operationRef(ACTION_KIND, { type, id: started.id } satisfies FollowedAction) } : {}
  }

  /**
   * One page of the account's latest actions (GET /v2/actions, newest first, 200 a page) answers
   * for every action on it; an action older than that page is read by its id, one call each.
   */
  async followOperations (operations: readonly OperationRef[]): Promise<OperationLooks> {
    const latest = await this.#call(READ, async (_client, http) => (await http.get(`${this.#apiUrl}/actions`, { params: { per_page: PER_PAGE } })).data as { actions?: Array<{ id: number, status?: string }> })
    const onPage = new Map((latest.actions ?? []).map((action) => [action.id, action.status]))
    const outcomes = new Map<OperationRef, OperationOutcome>()
    const older: OperationRef[] = []
    for (const operation of operations) {
      const { type, id } = operation.data as FollowedAction
      if (onPage.has(id)) outcomes.set(operation, outcomeOf(type, onPage.get(id)))
      else older.push(operation)
    }
    const byId = await followEach(older, async (operation) => {
      const { type, id } = operation.data as FollowedAction
      const found = await this.#call(READ, async (client) => client.actions.getExistingAction(id)) as { status?: string } | undefined
      return outcomeOf(type, found?.status)
    }, this.#log, 'digitalocean')
    for (const [operation, outcome] of byId.outcomes) outcomes.set(operation, outcome)
    return { outcomes, calls: 1 + byId.calls }
  }

  /**
   * DigitalOcean's tag API: a tag must exist before it is attached. Its names are letters, digits,
   * `:`, `-` and `_` (checked here too: the library puts the name into the path unescaped).
   */
  async addTag (id: string, tag: string): Promise<void> {
    if (!/^[a-zA-Z0-9_:-]{1,255}$/.test(tag)) {
      throw new ProviderError('invalid-request', 'digitalocean: tag names may hold only letters, digits, ":", "-" and "_" (at most 255)')
    }
    await this.#call(READ, async (client) => client.tags.createTag(tag))
    await this.#call(READ, async (client) => client.tags.tagResources(tag, [id] as never))
  }

  #present (droplet: Droplet): ProviderMachine {
    const v4 = droplet.networks?.v4 ?? []
    const tags = droplet.tags ?? []
    const token = tags.find((tag) => tag.startsWith(CLIENT_TOKEN_TAG))
    return {
      id: String(droplet.id),
      name: droplet.name,
      state: stateOf('digitalocean', DROPLET_STATES, droplet.status, this.#log),
      providerState: droplet.status,
      size: droplet.size_slug ?? null,
      image: droplet.image?.slug ?? (droplet.image?.id === undefined ? null : String(droplet.image.id)),
      location: droplet.region?.slug ?? null,
      publicIps: [...v4, ...(droplet.networks?.v6 ?? [])].filter((net) => net.type === 'public').map((net) => net.ip_address),
      privateIps: v4.filter((net) => net.type === 'private').map((net) => net.ip_address),
      publicUrl: null,
      clientToken: token === undefined ? null : token.slice(CLIENT_TOKEN_TAG.length),
      tags: tags.filter((tag) => tag !== token),
      extra: {
        droplet_id: droplet.id,
        status: droplet.status,
        size_slug: droplet.size_slug,
        region: droplet.region?.slug ?? null,
        image: droplet.image?.slug ?? droplet.image?.name ?? null,
        vcpus: droplet.vcpus ?? null,
        memory: droplet.memory ?? null,
        disk: droplet.disk ?? null,
        locked: droplet.locked ?? false,
        created_at: droplet.created_at
      }
    }
  }
}

/** A droplet action's status as our outcome (completed, errored, or still in progress). */
function outcomeOf (type: string, status: string | undefined): OperationOutcome {
  if (status === 'completed') return { done: true, error: null }
  if (status === 'errored') return { done: true, error: `digitalocean: the ${type} action errored${type === 'shutdown' ? ' (the droplet did not shut down)' : ''}` }
  return { done: false }
}

/** Droplet ids are integers; anything else names no droplet (the cloud answers 404 for it). */
const dropletId = (id: string): number => /^\d{1,18}$/.test(id) ? Number(id) : -1

/** An axios failure as a ProviderError: DigitalOcean's `{id, message}` body, Retry-After or RateLimit-Reset. */
function classify (error: unknown, signal: AbortSignal): ProviderError {
  const response = (error as AxiosError<{ id?: string, message?: string }>).response
  if (response === undefined) return networkFailure('digitalocean', error, signal)
  const headers = response.headers as Record<string, string | undefined>
  return httpFailure('digitalocean', { status: response.status, header: (name) => headers[name], message: response.data?.message, code: response.data?.id }, error)
}
