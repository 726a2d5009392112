import type { SecretBox } from '../domain/secret-box.ts'
import type { CallPolicy, ProviderDefinition, ProviderDriver, ProviderLog } from './driver.ts'
import { ProviderError } from './provider-error.ts'
import { CredentialsGuard, type CredentialsReport } from './credentials-guard.ts'
import { listingSpacingMs } from './kit/listing-budget.ts'

interface BackendRow {
  id: string
  provider: string
  credentials: string
  settings: unknown
  updatedAt: Date
  credentialsRejectedAt?: Date | null
}

export const DEFAULT_DRIVER_CACHE_SIZE = 1000

export interface RegistryOptions {
  policy: CallPolicy
  log: ProviderLog
  /** Told when a cloud refuses a backend's credentials, and when it accepts them again. */
  onCredentials: CredentialsReport
  /** LISTING_BUDGET_PERCENT: the share of a cloud's request budget that listings may use. */
  listingBudgetPercent: number
  /**
   * DRIVER_CACHE_SIZE: how many backends' drivers are kept ready; the least recently used is
   * closed beyond it (a server holding many users' backends must not keep every driver forever).
   */
  driverCacheSize?: number
}

/**
 * Provider plugins define themselves here under their backend type; services ask for the driver
 * of a backend. Drivers are reused per backend until the backend row changes, the least recently
 * used closed beyond DRIVER_CACHE_SIZE.
 */
export class ProviderRegistry {
  readonly #definitions = new Map<string, ProviderDefinition>()
  readonly #drivers = new Map<string, { version: number, driver: ProviderDriver }>()
  readonly #secrets: SecretBox
  readonly #options: RegistryOptions

  constructor (secrets: SecretBox, options: RegistryOptions) {
    this.#secrets = secrets
    this.#options = options
  }

  define (type: string, definition: ProviderDefinition): void {
    if (this.#definitions.has(type)) throw new Error(`provider ${type} is defined twice`)
    this.#definitions.set(type, definition)
  }

  definition (type: string): ProviderDefinition | undefined {
    return this.#definitions.get(type)
  }

  /** The definition serving an existing backend; a backend of a type this server was started
   *  without is a provider that is unavailable here (503), not a server fault. */
  definitionFor (backend: { provider: string }): ProviderDefinition {
    const definition = this.#definitions.get(backend.provider)
    if (definition === undefined) throw new ProviderError('unavailable', `no provider plugin for ${backend.provider} is loaded on this server`)
    return definition
  }

  /**
   * The least time from the backend's last listing to its next, by its cloud's budget and the
   * size of that listing and the pass's other calls (src/providers/kit/listing-budget.ts); 0 for a
   * provider without a budget.
   */
  listingSpacingMs (backend: { provider: string, listedCount: number | null, listedOperations: number | null }): number {
    return listingSpacingMs(this.#definitions.get(backend.provider)?.listingBudget, backend.listedCount ?? 0, this.#options.listingBudgetPercent, backend.listedOperations ?? 0)
  }

  get types (): string[] { return [...this.#definitions.keys()] }

  /** How many drivers are kept ready now (at most DRIVER_CACHE_SIZE). */
  get cachedDrivers (): number { return this.#drivers.size }

  /** Every loaded provider's definition, in the order they were defined. */
  get definitions (): Array<[string, ProviderDefinition]> { return [...this.#definitions] }

  /** The backend's driver, reporting refused (and again accepted) credentials for the backend. */
  driverFor (backend: BackendRow): ProviderDriver {
    const cached = this.#drivers.get(backend.id)
    let driver = cached?.driver
    // A Map iterates in insertion order: taken out and put back, the entry is the most recent.
    this.#drivers.delete(backend.id)
    if (driver === undefined || cached?.version !== backend.updatedAt.getTime()) {
      void cached?.driver.close?.()
      driver = this.connect(backend.provider, backend.id, this.#secrets.openJson<Record<string, unknown>>(backend.credentials), backend.settings)
    }
    this.#drivers.set(backend.id, { version: backend.updatedAt.getTime(), driver })
    const limit = Math.max(1, this.#options.driverCacheSize ?? DEFAULT_DRIVER_CACHE_SIZE)
    for (const [id, oldest] of this.#drivers) {
      if (this.#drivers.size <= limit) break
      this.#drivers.delete(id)
      void oldest.driver.close?.()
    }
    return new CredentialsGuard(driver, backend.id, backend.credentialsRejectedAt != null, this.#options.onCredentials)
  }

  /** A driver for credentials not stored yet (the check when a backend is added or changed). */
  connect (provider: string, id: string, credentials: Record<string, unknown>, settings: unknown): ProviderDriver {
    return this.definitionFor({ provider }).connect({
      id,
      credentials,
      settings: (settings ?? {}) as Record<string, unknown>,
      policy: this.#options.policy,
      log: this.#options.log
    })
  }

  forget (backendId: string): void {
    void this.#drivers.get(backendId)?.driver.close?.()
    this.#drivers.delete(backendId)
  }

  async close (): Promise<void> {
    await Promise.all([...this.#drivers.values()].map(async ({ driver }) => driver.close?.()))
    this.#drivers.clear()
  }
}
