import type { SecretBox } from '../domain/secret-box.ts'
import type { ProviderDefinition, ProviderDriver } from './driver.ts'
import { ProviderError } from './provider-error.ts'

interface BackendRow {
  id: string
  provider: string
  credentials: string
  settings: unknown
  updatedAt: Date
}

/**
 * Provider plugins define themselves here under their backend type; services ask for the driver
 * of a backend. Drivers are reused per backend until the backend row changes.
 */
export class ProviderRegistry {
  readonly #definitions = new Map<string, ProviderDefinition>()
  readonly #drivers = new Map<string, { version: number, driver: ProviderDriver }>()
  readonly #secrets: SecretBox

  constructor (secrets: SecretBox) {
    this.#secrets = secrets
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

  get types (): string[] { return [...this.#definitions.keys()] }

  /** Every loaded provider's definition, in the order they were defined. */
  get definitions (): Array<[string, ProviderDefinition]> { return [...this.#definitions] }

  driverFor (backend: BackendRow): ProviderDriver {
    const cached = this.#drivers.get(backend.id)
    if (cached !== undefined && cached.version === backend.updatedAt.getTime()) return cached.driver
    const definition = this.definitionFor(backend)
    void cached?.driver.close?.()
    const driver = definition.connect({
      id: backend.id,
      credentials: this.#secrets.openJson<Record<string, unknown>>(backend.credentials),
      settings: (backend.settings ?? {}) as Record<string, unknown>
    })
    this.#drivers.set(backend.id, { version: backend.updatedAt.getTime(), driver })
    return driver
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
