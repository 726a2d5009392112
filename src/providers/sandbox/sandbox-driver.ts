import { randomBytes } from 'node:crypto'
import type { PrismaClient, SandboxInstance } from '../../generated/prisma/client.ts'
import type { MachineAction } from '../../domain/lifecycle.ts'
import type { MachineState } from '../../domain/machine-states.ts'
import type { CreateMachineSpec, ProviderDriver, ProviderMachine } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import { SANDBOX_IMAGES, SANDBOX_LOCATIONS, SANDBOX_SIZES, SPOT_SIZES } from './catalog.ts'
import type { SandboxOperation, SandboxSettings } from './settings.ts'

/** Which sandbox states an action may start from, where it goes, and how long it takes. */
const ACTION_EFFECTS: Record<MachineAction, { from: readonly string[], via: MachineState, to: MachineState, delay: 'boot' | 'stop' }> = {
  start: { from: ['stopped'], via: 'starting', to: 'running', delay: 'boot' },
  shutdown: { from: ['running'], via: 'stopping', to: 'stopped', delay: 'stop' },
  reboot: { from: ['running'], via: 'rebooting', to: 'running', delay: 'boot' },
  destroy: { from: ['pending', 'starting', 'running', 'rebooting', 'stopping', 'stopped'], via: 'destroying', to: 'terminated', delay: 'stop' }
}

const FAULT_ERRORS = {
  timeout: () => new ProviderError('timeout', 'sandbox: the request timed out'),
  unavailable: () => new ProviderError('unavailable', 'sandbox: service unavailable (503)', { retryAfterSeconds: 5 }),
  'rate-limited': () => new ProviderError('rate-limited', 'sandbox: too many requests (429)', { retryAfterSeconds: 2 }),
  'server-error': () => new ProviderError('server-error', 'sandbox: internal error (500)'),
  'credentials-rejected': () => new ProviderError('credentials-rejected', 'sandbox: the API key was rejected (401)')
} as const

const octet = (): number => 1 + (randomBytes(1)[0]! % 253)

/**
 * A simulated remote cloud. Its state lives in its own table, the way a cloud keeps its own
 * books, so it survives a server restart; time moves transitional states on: a machine that is
 * "starting" reads as "running" once its boot delay has passed, whoever asks and whenever.
 */
export class SandboxDriver implements ProviderDriver {
  readonly #db: PrismaClient
  readonly #account: string
  readonly #settings: SandboxSettings

  constructor (db: PrismaClient, account: string, settings: SandboxSettings) {
    this.#db = db
    this.#account = account
    this.#settings = settings
  }

  /** The cloud's own count of API calls per account, as a real cloud keeps for its rate limits. */
  async #count (operation: 'list' | MachineAction): Promise<void> {
    await this.#db.$executeRaw`INSERT INTO sandbox_api_calls (account, operation, count) VALUES (${this.#account}, ${operation}, 1)
      ON CONFLICT (account, operation) DO UPDATE SET count = sandbox_api_calls.count + 1`
  }

  #failIfInjected (operation: SandboxOperation): void {
    const fault = this.#settings.faults[operation]
    if (fault !== undefined) throw FAULT_ERRORS[fault]()
  }

  /** The simulator accepts every key, unless told to refuse (faults: {credentials: ...}). */
  async checkCredentials () { this.#failIfInjected('credentials') }

  async listSizes () { this.#failIfInjected('catalog'); return [...SANDBOX_SIZES] }
  async listImages () { this.#failIfInjected('catalog'); return [...SANDBOX_IMAGES] }
  async listLocations () { this.#failIfInjected('catalog'); return [...SANDBOX_LOCATIONS] }

  async listMachines (): Promise<ProviderMachine[]> {
    this.#failIfInjected('list')
    await this.#count('list')
    const rows = await this.#db.sandboxInstance.findMany({ where: { account: this.#account }, orderBy: { createdAt: 'asc' } })
    return Promise.all(rows.map(async (row) => this.#present(await this.#settle(row))))
  }

  async createMachine (spec: CreateMachineSpec): Promise<ProviderMachine> {
    this.#failIfInjected('create')
    const invalid = [
      SANDBOX_SIZES.some((s) => s.id === spec.size) ? null : `unknown size "${spec.size}"`,
      SANDBOX_IMAGES.some((i) => i.id === spec.image) ? null : `unknown image "${spec.image}"`,
      SANDBOX_LOCATIONS.some((l) => l.id === spec.location) ? null : `unknown location "${spec.location}"`
    ].filter((problem) => problem !== null)
    if (invalid.length > 0) throw new ProviderError('invalid-request', `sandbox: ${invalid.join(', ')}`)

    // Idempotent on the client token, like EC2's ClientToken: a retried create returns the first.
    const existing = await this.#db.sandboxInstance.findUnique({
      where: { account_clientToken: { account: this.#account, clientToken: spec.clientToken } }
    })
    if (existing !== null) return this.#present(await this.#settle(existing))

    const row = await this.#db.sandboxInstance.create({
      data: {
        id: `sbx-${randomBytes(6).toString('hex')}`,
        account: this.#account,
        clientToken: spec.clientToken,
        name: spec.name,
        size: spec.size,
        image: spec.image,
        location: spec.location,
        state: 'pending',
        target: 'running',
        settlesAt: new Date(Date.now() + this.#settings.bootDelayMs),
        publicIp: `203.0.113.${octet()}`,
        privateIp: `10.20.${octet()}.${octet()}`
      }
    })
    return this.#present(row)
  }

  async performAction (id: string, action: MachineAction): Promise<{ operation?: never }> {
    await this.#count(action)
    this.#failIfInjected(action)
    const found = await this.#db.sandboxInstance.findFirst({ where: { id, account: this.#account } })
    if (found === null) throw new ProviderError('not-found', `sandbox: no instance ${id}`)
    const row = await this.#settle(found)
    if (!this.supports(row, action)) throw new ProviderError('invalid-request', `sandbox: ${row.size} instances cannot ${action}`)
    const effect = ACTION_EFFECTS[action]
    if (!effect.from.includes(row.state)) {
      throw new ProviderError('conflict', `sandbox: cannot ${action} an instance that is ${row.state}`)
    }
    const delay = effect.delay === 'boot' ? this.#settings.bootDelayMs : this.#settings.stopDelayMs
    // Conditional on the state read, so two concurrent actions cannot both succeed.
    const { count } = await this.#db.sandboxInstance.updateMany({
      where: { id, state: row.state },
      data: { state: effect.via, target: effect.to, settlesAt: new Date(Date.now() + delay) }
    })
    if (count === 0) throw new ProviderError('conflict', `sandbox: instance ${id} changed state meanwhile`)
    // The simulator's actions are state changes read back by the listing: nothing to follow.
    return {}
  }

  async addTag (id: string, tag: string): Promise<void> {
    this.#failIfInjected('tag')
    const tagged = await this.#db.$executeRaw`UPDATE sandbox_instances SET tags = array_append(tags, ${tag})
      WHERE id = ${id} AND account = ${this.#account} AND NOT (${tag} = ANY(tags))`
    if (tagged === 0 && await this.#db.sandboxInstance.count({ where: { id, account: this.#account } }) === 0) {
      throw new ProviderError('not-found', `sandbox: no instance ${id}`)
    }
  }

  supports (machine: { size: string | null }, action: MachineAction): boolean {
    const spot = machine.size !== null && SPOT_SIZES.has(machine.size)
    return !(spot && (action === 'shutdown' || action === 'start'))
  }

  async #settle (row: SandboxInstance): Promise<SandboxInstance> {
    if (row.target === null || row.settlesAt === null || row.settlesAt.getTime() > Date.now()) return row
    await this.#db.sandboxInstance.updateMany({
      where: { id: row.id, state: row.state, target: row.target },
      data: { state: row.target, target: null, settlesAt: null }
    })
    return { ...row, state: row.target, target: null, settlesAt: null }
  }

  #present (row: SandboxInstance): ProviderMachine {
    const state = row.state as MachineState
    const live = state !== 'terminated'
    return {
      id: row.id,
      name: row.name,
      state,
      providerState: state,
      size: row.size,
      image: row.image,
      location: row.location,
      publicIps: live ? [row.publicIp] : [],
      privateIps: live ? [row.privateIp] : [],
      publicUrl: `https://${row.id}.sandbox.invalid/`,
      clientToken: row.clientToken,
      tags: row.tags,
      extra: {
        instance_id: row.id,
        status: state,
        instance_type: row.size,
        image_id: row.image,
        availability: row.location,
        launch_time: row.createdAt.toISOString()
      }
    }
  }
}
