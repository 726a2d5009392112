import type { TProperties } from '@sinclair/typebox'
import type { MachineAction } from '../domain/lifecycle.ts'
import type { MachineState } from '../domain/machine-states.ts'
import type { EndpointSpec } from './kit/endpoints.ts'
import type { ListingBudget } from './kit/listing-budget.ts'
import type { OperationRef } from './kit/operation-ref.ts'

/**
 * The one small interface every cloud implements. Drivers speak in the backends-API vocabulary
 * (machine states, size/image/location ids) and throw ProviderError for every failure of the
 * cloud, so that routes and services never see an SDK's own errors.
 */
export interface ProviderSize {
  id: string
  /** Another id the cloud gives the size, accepted in a create wherever `id` is (GCE's numeric ids). */
  cloudId?: string
  name: string
  cpus: number
  ramMb: number
  diskGb: number
  /** Hourly list price as an exact decimal string, e.g. "0.0416"; null when the cloud publishes none. */
  hourlyPrice: string | null
  currency: string
}

export interface ProviderImage { id: string, name: string, extra: Record<string, unknown> }
export interface ProviderLocation { id: string, name: string, country: string }

export interface ProviderMachine {
  id: string
  name: string
  state: MachineState
  size: string | null
  image: string | null
  location: string | null
  publicIps: string[]
  privateIps: string[]
  publicUrl: string | null
  extra: Record<string, unknown>
  /**
   * The client token (our uuid) the machine was created with, where the cloud keeps one (EC2's
   * ClientToken, a tag elsewhere): how a create interrupted by a crash is found and adopted.
   */
  clientToken?: string | null
  /** The machine's tags at the cloud (our own client-token tag left out). */
  tags?: string[]
  /** A create's answer only: the cloud's operation making the machine, followed like an action's. */
  operation?: OperationRef
  /**
   * The cloud's own status as it names it (EC2 "stopped", Azure "PowerState/deallocated"), kept
   * beside our state: two statuses of one state may bill differently (docs/costs.md).
   */
  providerState?: string
  /** When the cloud says the machine entered that status, where it says (GCE's lastStopTimestamp). */
  providerStateAt?: Date | null
}

export interface CreateMachineSpec {
  name: string
  size: string
  image: string
  /** The create's location; '' where the provider needs none and none was given (needsLocation: false). */
  location: string
  /** Our uuid, passed to clouds that support idempotent creation (EC2 ClientToken and the like). */
  clientToken: string
  publicKey: string | null
  script: string | null
  adminPassword: string
  monitoring: boolean
  /** The create body's fields this provider's definition names (machineFields), as sent, validated by their schema. */
  providerFields: Record<string, unknown>
}

/**
 * A long-running operation the cloud started for an action or a create, as the driver can pick
 * it up again in another process: kept on the machine until it has ended (src/providers/kit/operation-ref.ts).
 */
export type { OperationRef } from './kit/operation-ref.ts'

/** Where an operation stands: still running, or ended (error: the cloud's reason it failed). */
export type OperationOutcome = { done: false } | { done: true, error: string | null }

/** What one look at pending operations found, and what it cost. */
export interface OperationLooks { outcomes: Map<OperationRef, OperationOutcome>, calls: number }

export interface ProviderDriver {
  /** One cheap real call that fails with 'credentials-rejected' when the cloud refuses the credentials. */
  checkCredentials(): Promise<void>
  listSizes(): Promise<ProviderSize[]>
  listImages(): Promise<ProviderImage[]>
  listLocations(): Promise<ProviderLocation[]>
  /** Every machine of the account, in as few calls as the cloud allows (one list per watch pass). */
  listMachines(): Promise<ProviderMachine[]>
  createMachine(spec: CreateMachineSpec): Promise<ProviderMachine>
  /**
   * Starts the action. Where the cloud runs it as a long-running operation, returns it, to be
   * followed to its end (followOperations); either way the final state is read from listMachines.
   */
  performAction(id: string, action: MachineAction): Promise<{ operation?: OperationRef }>
  /**
   * One look at each operation, in as few calls as the cloud allows; one the cloud no longer knows
   * counts as ended without error. One that could not be read this time (a failed call) is left
   * out of the answer. `calls`: how many requests the looks cost (the request budget counts them).
   */
  followOperations?(operations: readonly OperationRef[]): Promise<OperationLooks>
  /**
   * Puts the tag on the machine at the cloud (idempotent: a tag it has already is no error).
   * Absent where the cloud cannot tag a machine after it is made (Docker fixes a container's
   * labels at create): the tag is then kept by Stratus alone, never claimed to be at the cloud.
   */
  addTag?(id: string, tag: string): Promise<void>
  /**
   * Whether the cloud can do this action on this kind of machine at all (the "never" case).
   * Absent where it can do every action on every machine (every real cloud today): see canEver.
   */
  supports?(machine: { size: string | null, image: string | null }, action: MachineAction): boolean
  close?(): Promise<void>
}

/** What a backend row gives a driver factory: the opened credentials and plain settings. */
export interface BackendConnection {
  id: string
  credentials: Record<string, unknown>
  settings: Record<string, unknown>
  /** How long one call may take and how often it is retried (server configuration). */
  policy: CallPolicy
  /** Where a driver says what it noticed (a cloud status its table does not know, say). */
  log: ProviderLog
}

export interface CallPolicy {
  /** One attempt's limit (PROVIDER_TIMEOUT_MS); past it the call fails with 'timeout' (504). */
  timeoutMs: number
  /** Retries after the first attempt for 429 and, where repeating is safe, 5xx (PROVIDER_RETRIES). */
  retries: number
  /** The first backoff; doubled per retry unless the cloud's Retry-After says otherwise. */
  baseDelayMs: number
  /** A Retry-After longer than this is not waited out: the caller gets 503 with it. */
  maxDelayMs: number
}

export interface ProviderLog {
  warn(details: Record<string, unknown>, message: string): void
}

/** What app.ts gives every provider plugin: the environment its own settings are read from. */
export interface ProviderPluginOptions { env: Readonly<Record<string, string | undefined>> }

export interface ProviderDefinition {
  /** What GET /providers calls it, e.g. "Sandbox (simulator)". */
  title: string
  /** "vm" or "container": the machine API's default `kind` for machines of this provider. */
  machineKind: string
  /**
   * The backend fields this provider takes, as schema properties (Type.Optional where optional):
   * credentials are sealed at rest and never answered; settings are plain and answered back.
   * They become this provider's branch of the backend bodies' oneOf in the API document, so the
   * rules a generated client must follow are in the schema, not only in code.
   */
  credentials: TProperties
  settings: TProperties
  /**
   * Fields of the machine-create body that only this provider reads (docker_* for docker): they
   * join the create body's schema, are refused (422) on other providers' backends, and reach the
   * driver as CreateMachineSpec.providerFields.
   */
  machineFields?: TProperties
  /** Rules on those fields the schema cannot state (a field required on this provider's backends); problems answer 422. */
  validateMachine?(fields: Record<string, unknown>): Array<{ field: string, detail: string }>
  /** Whether a create needs an SSH key (the caller's default when none is given); default true. A container has none. */
  needsKey?: boolean
  /** Whether a create must name a location (422 without one); default true. A Docker engine is one place. */
  needsLocation?: boolean
  /** Only administrators may add or change backends of this provider (403 for others): Docker's host is the whole machine. */
  adminOnly?: boolean
  /** Where the sizes' prices come from (the API or list, and which of its prices), shown with each size as price_source. */
  priceSource: string
  /** The cloud's published request budget, by which listings of a backend are spaced (none: not paced). */
  listingBudget?: ListingBudget
  /**
   * How long after an action this cloud may still list the state it started from (EC2 does, for
   * seconds): within it, that old state is "not yet", not the action's undoing. Default 10 s.
   */
  staleGraceMs?: number
  /** Where the cloud is, and the environment variables that move it (read by the cloud's plugin at start). */
  endpoints?: Readonly<Record<string, EndpointSpec>>
  /** Rules the schema cannot state (they answer 422); returns problems as sentences. */
  validate?(credentials: Record<string, unknown>, settings: Record<string, unknown>): string[]
  connect(backend: BackendConnection): ProviderDriver
}

/** Whether the driver's cloud can ever do the action on the machine: a driver without supports() can do all. */
export const canEver = (driver: Pick<ProviderDriver, 'supports'>, machine: { size: string | null, image: string | null }, action: MachineAction): boolean =>
  driver.supports?.(machine, action) ?? true
