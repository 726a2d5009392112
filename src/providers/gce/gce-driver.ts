import type { protos } from '@google-cloud/compute'
import type { MachineAction } from '../../domain/lifecycle.ts'
import { parsePublicKey } from '../../domain/ssh-keys.ts'
import type { BackendConnection, CreateMachineSpec, OperationLooks, OperationOutcome, OperationRef, ProviderDriver, ProviderImage, ProviderLocation, ProviderLog, ProviderMachine, ProviderSize } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import type { CallOptions } from '../kit/call-with-retries.ts'
import { CloudCalls } from '../kit/cloud-calls.ts'
import { leaveUnread } from '../kit/follow-each.ts'
import { operationRef } from '../kit/operation-ref.ts'
import { countryOfZone, instanceOf, machineIdOf, PUBLIC_IMAGE_FAMILIES, regionOfZone } from './catalog.ts'
import { classify, gceClient, type GceClients } from './connection.ts'
import type { ServiceAccountKey } from './service-account-key.ts'
import type { GceEndpoints } from './endpoints.ts'
import { presentInstance } from './listed-instance.ts'
import { CLIENT_TOKEN_LABEL, instanceNameOf, labelOf } from './names.ts'
import { GCE_PRICE_TABLE, hourlyPriceOf } from './prices.ts'

type Instance = protos.google.cloud.compute.v1.IInstance
type Operation = protos.google.cloud.compute.v1.IOperation

const READ: CallOptions = { idempotent: true }
/** The largest page GCE lists (maxResults): 10,000 instances are 20 calls. */
const INSTANCES_PER_PAGE = 500
/** Operation names per filtered list: the filter stays well inside GCE's limits on its length. */
const OPERATIONS_PER_LOOK = 50
/** How often a stale label fingerprint (412) is read again before the tag is refused as a conflict. */
const LABEL_ATTEMPTS = 4
const OPERATION_KIND = 'gce-zone-operation'

/** A zone operation as it is kept on the machine: enough to find it again in its zone's list. */
export interface ZoneOperation { zone: string, name: string }

/** What gax's page calls answer with `autoPaginate: false`: the items, the next request (null at the end), the raw page. */
type Page<T, R> = [T, { pageToken?: string } | null, R]
type PageCall = (request: Record<string, unknown>, options: Record<string, unknown>) => Promise<Page<unknown, unknown>>

/**
 * Google Compute Engine of one project through @google-cloud/compute. A machine's id is
 * `<zone>~<instance name>`. Every mutation is a zone operation, kept on the machine and followed
 * to its end by the syncs, many in one filtered list call per zone; a create carries our uuid as
 * GCE's requestId (GCE answers a repeated insert with the first one's operation) and as a label
 * (by which a pass finds it).
 */
export class GceDriver implements ProviderDriver {
  readonly #key: ServiceAccountKey
  readonly #project: string
  readonly #zone: string
  readonly #network: string
  readonly #endpoints: GceEndpoints
  readonly #timeoutMs: number
  readonly #calls: CloudCalls
  readonly #log: ProviderLog
  readonly #clients = new Map<keyof GceClients, Promise<GceClients[keyof GceClients]>>()

  constructor (connection: BackendConnection, endpoints: GceEndpoints, key: ServiceAccountKey) {
    const { settings } = connection
    this.#key = key
    this.#project = String(settings.project_id)
    this.#zone = String(settings.zone)
    this.#network = typeof settings.network === 'string' ? settings.network : 'default'
    this.#endpoints = endpoints
    this.#timeoutMs = connection.policy.timeoutMs
    this.#calls = new CloudCalls(connection.policy, classify('gce'))
    this.#log = connection.log
  }

  /**
   * A client, made and initialized at its first use, outside any attempt's time limit: the first
   * in a process loads the SDK's API descriptions (half a second, more on a busy machine), which
   * is no answer of the cloud's to time. Only the kinds a backend uses are made (a listed backend:
   * instances and operations), each about 20 ms of start-up.
   */
  #client<K extends keyof GceClients> (kind: K): Promise<GceClients[K]> {
    let made = this.#clients.get(kind) as Promise<GceClients[K]> | undefined
    if (made === undefined) {
      made = (async () => {
        const client = gceClient(kind, this.#key, this.#project, this.#endpoints)
        await client.initialize()
        return client
      })()
      this.#clients.set(kind, made)
    }
    return made
  }

  /**
   * One request with one kind of client under the kit's policy. gax's own retries are off (the
   * kit retries, counting every attempt against the policy); its timeout is the attempt's, and an
   * abort cancels the request.
   */
  async #send<K extends keyof GceClients, T> (options: CallOptions, kind: K, request: (client: GceClients[K], callOptions: Record<string, unknown>) => Promise<T>): Promise<T> {
    const client = await this.#client(kind)
    return this.#calls.call(options, async (signal) => {
      const pending = request(client, { timeout: this.#timeoutMs, maxRetries: 0, retry: { retryCodes: [] }, autoPaginate: false }) as Promise<T> & { cancel?: () => void }
      signal.addEventListener('abort', () => pending.cancel?.(), { once: true })
      return pending
    })
  }

  /** Every page of a list, each page a call of its own (retried alone). */
  async #pages<K extends keyof GceClients, T> (kind: K, call: (client: GceClients[K]) => PageCall, request: Record<string, unknown>, items: (page: unknown) => T[]): Promise<T[]> {
    const all: T[] = []
    let pageToken: string | undefined
    do {
      const [found, next] = await this.#send(READ, kind, async (client, options) => call(client)({ ...request, ...(pageToken === undefined ? {} : { pageToken }) }, options))
      all.push(...items(found))
      pageToken = next?.pageToken === undefined || next.pageToken === '' ? undefined : next.pageToken
    } while (pageToken !== undefined)
    return all
  }

  /** One cheap real call on the project with the key. */
  async checkCredentials (): Promise<void> {
    await this.#send(READ, 'projects', async (projects, options) => projects.get({ project: this.#project }, options))
  }

  /** The machine types of the backend's zone, priced from the shipped table (prices.ts). */
  async listSizes (): Promise<ProviderSize[]> {
    const types = await this.#pages('machineTypes', (machineTypes) => machineTypes.list.bind(machineTypes) as unknown as PageCall, { project: this.#project, zone: this.#zone, maxResults: 500 },
      (page) => page as protos.google.cloud.compute.v1.IMachineType[])
    const region = regionOfZone(this.#zone)
    return types.map((type) => {
      const cpus = type.guestCpus ?? 0
      const ramMb = type.memoryMb ?? 0
      return {
        id: String(type.name),
        ...(type.id === null || type.id === undefined ? {} : { cloudId: String(type.id) }),
        name: `${String(type.name)} (${type.description ?? `${cpus} vCPU, ${ramMb} MB`})`,
        cpus,
        ramMb,
        diskGb: 0,
        hourlyPrice: hourlyPriceOf(GCE_PRICE_TABLE, region, String(type.name), cpus, ramMb),
        currency: GCE_PRICE_TABLE.currency
      }
    }).sort((a, b) => a.cpus - b.cpus || a.ramMb - b.ramMb || a.id.localeCompare(b.id))
  }

  /** The project's own images and the newest image of each public family (catalog.ts). Its id is its name. */
  async listImages (): Promise<ProviderImage[]> {
    const images = await this.#images()
    return images.map((image) => ({
      id: String(image.name),
      name: image.description === undefined || image.description === null || image.description === '' ? String(image.name) : `${String(image.name)} (${image.description})`,
      extra: { id: image.id === null || image.id === undefined ? null : String(image.id), project: projectOf(image.selfLink), family: image.family ?? null, architecture: image.architecture ?? null, created: image.creationTimestamp ?? null, selfLink: image.selfLink ?? null }
    }))
  }

  async #images (): Promise<protos.google.cloud.compute.v1.IImage[]> {
    const [own, ...families] = await Promise.all([
      this.#pages('images', (images) => images.list.bind(images) as unknown as PageCall, { project: this.#project, maxResults: 500 }, (page) => page as protos.google.cloud.compute.v1.IImage[]),
      ...PUBLIC_IMAGE_FAMILIES.map(async ({ project, family }) => {
        try {
          const [image] = await this.#send(READ, 'images', async (images, options) => images.getFromFamily({ project, family }, options))
          return [image]
        } catch (error) {
          // A family retired by its publisher is left out, not a failed list.
          if (error instanceof ProviderError && error.failure === 'not-found') return []
          throw error
        }
      })
    ])
    return [...own.filter((image) => image.deprecated?.state !== 'DEPRECATED' && image.deprecated?.state !== 'OBSOLETE'), ...families.flat()]
  }

  /** The project's zones. */
  async listLocations (): Promise<ProviderLocation[]> {
    const zones = await this.#zones()
    return zones.map((zone) => ({ id: String(zone.name), name: String(zone.name), country: countryOfZone(String(zone.name)) }))
  }

  async #zones (): Promise<protos.google.cloud.compute.v1.IZone[]> {
    return this.#pages('zones', (zones) => zones.list.bind(zones) as unknown as PageCall, { project: this.#project, maxResults: 500 }, (page) => page as protos.google.cloud.compute.v1.IZone[])
  }

  /**
   * Every instance of every zone through the aggregated list, 500 a call. No partial success:
   * a zone GCE could not read fails the listing, rather than making its machines look gone.
   */
  async listMachines (): Promise<ProviderMachine[]> {
    const scoped = await this.#pages('instances', (instances) => async (request, options) => (instances.innerApiCalls.aggregatedList as unknown as PageCall)(request, options), { project: this.#project, maxResults: INSTANCES_PER_PAGE },
      (page) => Object.values(page as Record<string, protos.google.cloud.compute.v1.IInstancesScopedList>))
    return scoped.flatMap((list) => list.instances ?? []).map((instance) => presentInstance(instance, this.#log))
  }

  /**
   * instances.insert with our uuid as its requestId (GCE does it once, however often it is sent)
   * and as a label. The name is one GCE takes (names.ts); the key is `ssh-keys` metadata for the
   * user `stratus`, the script `startup-script`; one interface on the backend's network, with an
   * external address.
   */
  async createMachine (spec: CreateMachineSpec): Promise<ProviderMachine> {
    const zone = await this.#zoneOf(spec.location === '' ? this.#zone : spec.location)
    // The size is the machine type's name (a numeric id is resolved by the size catalog, cloudId).
    const machineType = spec.size
    const sourceImage = await this.#imageOf(spec.image)
    const key = spec.publicKey === null ? null : parsePublicKey(spec.publicKey)
    if (spec.publicKey !== null && key === null) throw new ProviderError('invalid-request', 'gce: the key is not an OpenSSH public key')
    const name = instanceNameOf(spec.name, spec.clientToken)
    const metadata = [
      ...(key === null ? [] : [{ key: 'ssh-keys', value: `stratus:${key.line}` }]),
      ...(spec.script === null ? [] : [{ key: 'startup-script', value: spec.script }])
    ]
    const instance: Instance = {
      name,
      ...(name === spec.name ? {} : { description: spec.name }),
      machineType: `zones/${zone}/machineTypes/${machineType}`,
      labels: { [CLIENT_TOKEN_LABEL]: spec.clientToken },
      metadata: { items: metadata },
      disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage } }],
      networkInterfaces: [{ network: `global/networks/${this.#network}`, accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] }]
    }
    // A repeated insert with the same requestId is answered with the first one's operation: safe to retry.
    const [operation] = await this.#send(READ, 'instances', async (instances, options) => instances.insert({ project: this.#project, zone, requestId: spec.clientToken, instanceResource: instance }, options))
    return {
      id: machineIdOf(zone, name),
      name: spec.name,
      state: 'pending',
      size: machineType,
      image: spec.image,
      location: zone,
      publicIps: [],
      privateIps: [],
      publicUrl: null,
      clientToken: spec.clientToken,
      tags: [],
      extra: { zone, machineType, status: 'PROVISIONING' },
      operation: this.#operationOf(zone, operation)
    }
  }

  #operationOf (zone: string, answer: { name?: string | null, latestResponse?: unknown }): OperationRef {
    const name = (answer.latestResponse as Operation | undefined)?.name ?? answer.name
    if (name === undefined || name === null || name === '') throw new ProviderError('server-error', 'gce: the request was answered without its operation')
    return operationRef(OPERATION_KIND, { zone, name } satisfies ZoneOperation)
  }

  /** A zone by name or GCE's numeric id (the document's `2221`). */
  async #zoneOf (location: string): Promise<string> {
    if (!/^\d+$/.test(location)) return location
    const zone = (await this.#zones()).find((candidate) => String(candidate.id) === location)
    if (zone === undefined) throw new ProviderError('invalid-request', `gce: location ${location} is not the id of a zone of ${this.#project}`)
    return String(zone.name)
  }

  /** An image's URL by the name or numeric id the images list shows (or a full `projects/…/global/images/…` path). */
  async #imageOf (image: string): Promise<string> {
    if (image.startsWith('projects/')) return image
    const found = (await this.#images()).find((candidate) => candidate.name === image || String(candidate.id) === image)
    if (found === undefined) throw new ProviderError('invalid-request', `gce: image "${image}" is not one of the images listed for this backend`)
    return `projects/${projectOf(found.selfLink) ?? this.#project}/global/images/${String(found.name)}`
  }

  /**
   * The action's request; its zone operation is returned and followed by the syncs. start on a
   * SUSPENDED instance is a resume; shutdown is a stop; reboot a reset (GCE has no soft reboot).
   */
  async performAction (id: string, action: MachineAction): Promise<{ operation: OperationRef }> {
    const { zone, name } = this.#instanceOf(id)
    const target = { project: this.#project, zone, instance: name }
    let resume = false
    if (action === 'start') {
      const [instance] = await this.#send(READ, 'instances', async (instances, options) => instances.get(target, options))
      resume = instance.status === 'SUSPENDED' || instance.status === 'SUSPENDING'
    }
    const [operation] = await this.#send(READ, 'instances', async (instances, options) => {
      if (action === 'start') return resume ? instances.resume(target, options) : instances.start(target, options)
      if (action === 'shutdown') return instances.stop(target, options)
      if (action === 'reboot') return instances.reset(target, options)
      return instances.delete(target, options)
    })
    return { operation: this.#operationOf(zone, operation) }
  }

  #instanceOf (id: string): { zone: string, name: string } {
    const instance = instanceOf(id)
    if (instance === null) throw new ProviderError('not-found', `gce: ${id} is not <zone>~<instance name>`)
    return instance
  }

  /**
   * The operations' states through each zone's operation list, filtered to their names: one call
   * per zone for up to 50 of them. An operation the list no longer holds has ended (GCE keeps
   * them for a while; the listing tells how). A zone whose call failed is left unread this time;
   * refused credentials fail the pass.
   */
  async followOperations (operations: readonly OperationRef[]): Promise<OperationLooks> {
    const byZone = new Map<string, OperationRef[]>()
    for (const operation of operations) {
      const { zone } = operation.data as ZoneOperation
      byZone.set(zone, [...byZone.get(zone) ?? [], operation])
    }
    const outcomes = new Map<OperationRef, OperationOutcome>()
    const looks: Array<{ zone: string, refs: OperationRef[] }> = []
    for (const [zone, refs] of byZone) {
      for (let at = 0; at < refs.length; at += OPERATIONS_PER_LOOK) looks.push({ zone, refs: refs.slice(at, at + OPERATIONS_PER_LOOK) })
    }
    await Promise.all(looks.map(async ({ zone, refs }) => {
      const names = refs.map((ref) => (ref.data as ZoneOperation).name)
      const filter = names.map((name) => `(name = "${name}")`).join(' OR ')
      let found: Operation[]
      try {
        [found] = await this.#send(READ, 'operations', async (zoneOperations, options) => zoneOperations.list({ project: this.#project, zone, filter, maxResults: 500 }, options))
      } catch (error) {
        leaveUnread(error, this.#log, 'gce: could not read the zone\'s operations', { zone })
        return
      }
      const byName = new Map(found.map((operation) => [operation.name, operation]))
      for (const ref of refs) outcomes.set(ref, outcomeOf(byName.get((ref.data as ZoneOperation).name)))
    }))
    return { outcomes, calls: looks.length }
  }

  /**
   * A tag is a label (names.ts). setLabels replaces them all under the fingerprint of the labels
   * read: a label set meanwhile makes it stale (412), and then the labels are read again and the
   * tag put beside them, so no label set by someone else is lost.
   */
  async addTag (id: string, tag: string): Promise<void> {
    const label = labelOf(tag)
    if (label === null) throw new ProviderError('invalid-request', 'gce: the tag is too long to be kept as a label (at most 63 characters once escaped)')
    const { zone, name } = this.#instanceOf(id)
    const target = { project: this.#project, zone, instance: name }
    for (let attempt = 1; ; attempt++) {
      const [instance] = await this.#send(READ, 'instances', async (instances, options) => instances.get(target, options))
      const labels = instance.labels ?? {}
      if (labels[label.key] === label.value) return
      if (Object.keys(labels).length >= 64) throw new ProviderError('invalid-request', 'gce: an instance holds at most 64 labels')
      try {
        await this.#send(READ, 'instances', async (instances, options) => instances.setLabels({
          ...target, instancesSetLabelsRequestResource: { labels: { ...labels, [label.key]: label.value }, labelFingerprint: instance.labelFingerprint ?? '' }
        }, options))
        return
      } catch (error) {
        if (!(error instanceof ProviderError && error.failure === 'conflict') || attempt >= LABEL_ATTEMPTS) throw error
      }
    }
  }

  async close (): Promise<void> {
    const made = [...this.#clients.values()]
    this.#clients.clear()
    await Promise.all(made.map(async (client) => (await client.catch(() => undefined))?.close()))
  }
}

function outcomeOf (operation: Operation | undefined): OperationOutcome {
  if (operation === undefined) return { done: true, error: null }
  if (operation.status !== 'DONE') return { done: false }
  const errors = operation.error?.errors ?? []
  if (errors.length === 0) return { done: true, error: null }
  const words = errors.map((error) => [error.code, error.message].filter((part) => part !== undefined && part !== null && part !== '').join(': ')).join('; ')
  return { done: true, error: `gce: ${words}`.slice(0, 300) }
}

/** The project of a resource URL (…/projects/<project>/global/images/…). */
const projectOf = (selfLink: string | null | undefined): string | null => /\/projects\/([^/]+)\//.exec(selfLink ?? '')?.[1] ?? null
