import type { VirtualMachine } from '@azure/arm-compute'
import type { MachineAction } from '../../domain/lifecycle.ts'
import { parsePublicKey } from '../../domain/ssh-keys.ts'
import type { BackendConnection, CallPolicy, CreateMachineSpec, OperationLooks, OperationRef, ProviderDriver, ProviderImage, ProviderLocation, ProviderLog, ProviderMachine, ProviderSize } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import { followEach } from '../kit/follow-each.ts'
import type { CallOptions } from '../kit/call-with-retries.ts'
import { CloudCalls } from '../kit/cloud-calls.ts'
import { operationRef } from '../kit/operation-ref.ts'
import { AZURE_IMAGES, CLIENT_TOKEN_TAG, countryOf, imageOfUrn } from './catalog.ts'
import { classify, connectClients, reachable, type AzureClients } from './connection.ts'
import type { AzureEndpoints } from './endpoints.ts'
import { addressesByVm, presentVm, vmOf } from './listed-machine.ts'
import { isFailed, operationError, POLLER_KIND, sourceOf, vmOperation, type SerializedOperation } from './operations.ts'
import { linuxHourlyPrices } from './retail-prices.ts'
import { AzureNetwork, LRO_POLL_MS } from './network.ts'

const READ: CallOptions = { idempotent: true }
const ADMIN_USER = 'stratus'

/**
 * Azure VMs through @azure/arm-compute, their NICs and public IPs through @azure/arm-network (network.ts).
 * A machine's id is `<resource group>~<vm name>` (lower case): a path segment, where the full
 * ARM id would not be, and it names the VM in any resource group of the subscription.
 */
export class AzureDriver implements ProviderDriver {
  readonly #clients: Promise<AzureClients>
  readonly #subscription: string
  readonly #group: string
  readonly #region: string
  readonly #extraImages: string[]
  readonly #endpoints: AzureEndpoints
  readonly #policy: CallPolicy
  readonly #calls: CloudCalls
  readonly #log: ProviderLog
  readonly #network: AzureNetwork

  constructor (connection: BackendConnection, endpoints: AzureEndpoints) {
    const { credentials, settings } = connection
    this.#subscription = String(settings.subscription_id)
    this.#calls = new CloudCalls(connection.policy, (error, signal) => classify(error, signal, endpoints.authorityHost))
    // Every request of the SDK, each page of a list included, waits out a pause Azure asked for.
    this.#clients = connectClients(credentials, endpoints, this.#subscription, this.#calls.throttle)
    // A failure to load surfaces on each call; unobserved until then, it is not an unhandled rejection.
    this.#clients.catch(() => {})
    this.#group = String(settings.resource_group)
    this.#region = String(settings.region)
    this.#extraImages = Array.isArray(settings.images) ? settings.images.map(String) : []
    this.#endpoints = endpoints
    this.#policy = connection.policy
    this.#log = connection.log
    this.#network = new AzureNetwork(async (options, attempt) => this.#call(options, attempt), this.#group, this.#region)
  }

  async #call<T> (options: CallOptions, attempt: (signal: AbortSignal, azure: AzureClients) => Promise<T>): Promise<T> {
    const azure = await this.#clients
    return this.#calls.call(options, async (signal) => attempt(signal, azure))
  }

  async #all<T> (options: CallOptions, pages: (signal: AbortSignal, azure: AzureClients) => AsyncIterable<T>): Promise<T[]> {
    return this.#call(options, async (signal, azure) => {
      const items: T[] = []
      for await (const item of pages(signal, azure)) {
        // An attempt given up on (timed out, or its listing failed) reads no further pages.
        signal.throwIfAborted()
        items.push(item)
      }
      return items
    })
  }

  /** A token, then the subscription: the credentials and their access to it, in two cheap calls. */
  async checkCredentials (): Promise<void> {
    try {
      await this.#call(READ, async (abortSignal, azure) => azure.subscriptions.subscriptions.get(this.#subscription, { abortSignal }))
    } catch (error) {
      if (error instanceof ProviderError && error.failure === 'not-found') throw new ProviderError('credentials-rejected', `azure: subscription ${this.#subscription} not found for this service principal`)
      // An unknown tenant and an unreachable authority look alike: an authority that answers does not know the tenant.
      if (error instanceof ProviderError && (error.cause as { name?: string } | undefined)?.name === 'CredentialUnavailableError' && await reachable(this.#endpoints.authorityHost)) {
        throw new ProviderError('credentials-rejected', 'azure: the authority does not know this tenant', { cause: error })
      }
      throw error
    }
  }

  async listSizes (): Promise<ProviderSize[]> {
    const [sizes, prices] = await Promise.all([
      this.#all(READ, (abortSignal, azure) => azure.compute.virtualMachineSizes.list(this.#region, { abortSignal })),
      linuxHourlyPrices(this.#endpoints.pricesUrl, this.#region, this.#policy)
    ])
    return sizes.flatMap((size) => {
      if (size.name === undefined) return []
      const price = prices.get(size.name)
      return [{
        id: size.name,
        name: `${size.name} (${size.numberOfCores ?? '?'} vCPU, ${size.memoryInMB ?? '?'} MiB)`,
        cpus: size.numberOfCores ?? 0,
        ramMb: size.memoryInMB ?? 0,
        diskGb: Math.round((size.resourceDiskSizeInMB ?? 0) / 1024),
        // A size the price list does not name has no known price: null, never 0.
        hourlyPrice: price?.price.toFixed(6) ?? null,
        currency: price?.currency ?? 'USD'
      }]
    })
  }

  async listImages (): Promise<ProviderImage[]> {
    const listed = new Set(AZURE_IMAGES.map((image) => image.id))
    const extra = this.#extraImages.filter((urn) => !listed.has(urn)).flatMap((urn) => {
      const image = imageOfUrn(urn)
      return image === null ? [] : [{ id: urn, name: `${image.offer} ${image.sku}`, extra: { publisher: image.publisher, offer: image.offer, sku: image.sku } }]
    })
    return [...AZURE_IMAGES, ...extra]
  }

  async listLocations (): Promise<ProviderLocation[]> {
    const locations = await this.#all(READ, (abortSignal, azure) => azure.subscriptions.subscriptions.listLocations(this.#subscription, { abortSignal }))
    return locations
      .filter((location) => location.metadata?.regionType !== 'Logical' && location.name !== undefined)
      .map((location) => ({ id: location.name!, name: location.displayName ?? location.name!, country: countryOf(location.metadata?.physicalLocation) }))
  }

  /** Three listings for the whole subscription (VMs with power states, NICs, public IPs), not calls per VM. */
  async listMachines (): Promise<ProviderMachine[]> {
    // One listing: when one of its lists has failed for good, the others stop (and stop retrying).
    const together = new AbortController()
    const read = { ...READ, signal: together.signal }
    const part = async <T>(list: Promise<T>): Promise<T> => list.catch((error: unknown) => { together.abort(); throw error })
    const [vms, nics, ips] = await Promise.all([
      part(this.#all(read, (abortSignal, azure) => azure.compute.virtualMachines.listAll({ statusOnly: 'true', abortSignal }))),
      part(this.#all(read, (abortSignal, azure) => azure.network.networkInterfaces.listAll({ abortSignal }))),
      part(this.#all(read, (abortSignal, azure) => azure.network.publicIPAddresses.listAll({ abortSignal })))
    ])
    const addresses = addressesByVm(nics, ips)
    return vms.map((vm) => presentVm(vm, this.#log, addresses.get(String(vm.id).toLowerCase())))
  }

  /** One VM as a listing shows it (a create's answer: Azure's PUT answers without its power state). */
  async #read (id: string): Promise<ProviderMachine> {
    const { group, name } = vmOf(id)
    return presentVm(await this.#call(READ, async (abortSignal, azure) => azure.compute.virtualMachines.get(group, name, { expand: 'instanceView', abortSignal })), this.#log)
  }

  /**
   * The VM's network parts (network.ts), then the VM. Parts made for a VM the cloud then refused
   * are deleted at once; the VM's own are deleted with it.
   */
  async createMachine (spec: CreateMachineSpec): Promise<ProviderMachine> {
    const image = imageOfUrn(spec.image)
    if (image === null) throw new ProviderError('invalid-request', `azure: image "${spec.image}" is not publisher:offer:sku:version`)
    if (spec.location !== this.#region) {
      throw new ProviderError('invalid-request', `azure: this backend creates VMs in ${this.#region} (its region setting), not ${spec.location}`)
    }
    const key = spec.publicKey === null ? null : parsePublicKey(spec.publicKey)
    if (key !== null && key.type !== 'ssh-rsa' && key.type !== 'ssh-ed25519') throw new ProviderError('invalid-request', `azure: takes RSA or Ed25519 SSH keys only, not ${key.type}`)
    const tags = { [CLIENT_TOKEN_TAG]: spec.clientToken }
    const parts = await this.#network.partsFor(spec.name, tags)
    let operation: OperationRef
    try {
      const vm: VirtualMachine = {
        location: this.#region,
        tags,
        hardwareProfile: { vmSize: spec.size },
        storageProfile: {
          imageReference: image,
          osDisk: { createOption: 'FromImage', deleteOption: 'Delete', managedDisk: { storageAccountType: 'Standard_LRS' } }
        },
        osProfile: {
          computerName: spec.name.slice(0, 64),
          adminUsername: ADMIN_USER,
          adminPassword: spec.adminPassword,
          ...(spec.script === null ? {} : { customData: Buffer.from(spec.script).toString('base64') }),
          linuxConfiguration: {
            disablePasswordAuthentication: false,
            ...(key === null ? {} : { ssh: { publicKeys: [{ path: `/home/${ADMIN_USER}/.ssh/authorized_keys`, keyData: key.line }] } })
          }
        },
        networkProfile: { networkInterfaces: [{ id: parts.nicId, primary: true, deleteOption: 'Delete' }] }
      }
      // Only the request: the VM's own operation runs for minutes, and the watch follows it.
      operation = await this.#call({ idempotent: false }, async (abortSignal, azure) => {
        const poller = azure.compute.virtualMachines.createOrUpdate(this.#group, spec.name, vm, { abortSignal })
        await poller.submitted()
        return operationRef(POLLER_KIND, { action: 'create', poller: await poller.serialize() } satisfies SerializedOperation)
      })
    } catch (error) {
      if (error instanceof ProviderError && error.certainlyNotDone) await parts.remove()
      throw error
    }
    let created: ProviderMachine
    try {
      created = await this.#read(`${this.#group}~${spec.name}`.toLowerCase())
    } catch (error) {
      if (error instanceof ProviderError && error.failure === 'not-found') throw new ProviderError('server-error', `azure: VM ${spec.name} was accepted but cannot be read`)
      throw error
    }
    return { ...created, operation }
  }

  /**
   * The action's request; its long-running operation is returned (the poller's serialized state)
   * and followed to its end by the syncs (followOperations), on whichever server runs them.
   * shutdown deallocates (a stopped but allocated VM keeps billing for its compute).
   */
  async performAction (id: string, action: MachineAction): Promise<{ operation: OperationRef }> {
    const { group, name } = vmOf(id)
    return this.#call(READ, async (abortSignal, azure) => {
      const poller = vmOperation(azure, action)(group, name, { abortSignal })
      await poller.submitted()
      return { operation: operationRef(POLLER_KIND, { action, poller: await poller.serialize() } satisfies SerializedOperation) }
    })
  }

  /** One poll of each operation, through the SDK's own poller restored from its state. */
  async followOperations (operations: readonly OperationRef[]): Promise<OperationLooks> {
    const { restorePoller } = await import('@azure/arm-compute')
    return followEach(operations, async (operation) => {
      const { action, poller: state } = operation.data as SerializedOperation
      return this.#call(READ, async (abortSignal, azure) => {
        const poller = restorePoller(azure.compute, state, sourceOf(azure, action), { abortSignal })
        try {
          await poller.poll({ abortSignal })
        } catch (error) {
          // An HTTP error answering the poll is a failure to read the operation (core-lro marks
          // the poller failed for it all the same): retried, then left unread.
          if ((error as { statusCode?: number }).statusCode !== undefined || !isFailed(poller.operationState?.status)) throw error
        }
        // The operation said it failed (its status Failed or Canceled, with ARM's error).
        if (isFailed(poller.operationState?.status)) return { done: true, error: operationError(poller.operationState?.error) }
        return poller.isDone ? { done: true, error: null } : { done: false }
      })
    }, this.#log, 'azure')
  }

  /** An Azure tag is a name and a value: ours have the name and an empty value. */
  async addTag (id: string, tag: string): Promise<void> {
    const { group, name } = vmOf(id)
    if (tag.length > 512 || /[<>%&\\?/]/.test(tag)) throw new ProviderError('invalid-request', 'azure: tag names may not hold < > % & \\ ? / and are at most 512 characters')
    const vm = await this.#call(READ, async (abortSignal, azure) => azure.compute.virtualMachines.get(group, name, { abortSignal }))
    if (vm.tags !== undefined && Object.hasOwn(vm.tags, tag)) return
    await this.#call(READ, async (abortSignal, azure) => azure.compute.virtualMachines.update(group, name, { tags: { ...vm.tags, [tag]: '' } }, { abortSignal, updateIntervalInMs: LRO_POLL_MS }))
  }
}
