import type { MachineAction } from '../domain/lifecycle.ts'
import type { CreateMachineSpec, OperationRef, ProviderDriver } from './driver.ts'
import { ProviderError } from './provider-error.ts'

/** rejected: the cloud's message; null: the credentials work again. */
export type CredentialsReport = (backendId: string, rejected: string | null) => Promise<void>

/**
 * A backend's driver that reports what its calls learn about the credentials: a 401/403 marks
 * the backend (GET /backends/{id} shows it), and the first success after that clears the mark.
 * Only a backend known to be marked pays for the clearing write.
 */
export class CredentialsGuard implements ProviderDriver {
  constructor (
    private readonly driver: ProviderDriver,
    private readonly backendId: string,
    private readonly marked: boolean,
    private readonly report: CredentialsReport
  ) {}

  async #watch<T> (call: () => Promise<T>): Promise<T> {
    let result: T
    try {
      result = await call()
    } catch (error) {
      if (error instanceof ProviderError && error.failure === 'credentials-rejected') await this.report(this.backendId, error.message)
      throw error
    }
    if (this.marked) await this.report(this.backendId, null)
    return result
  }

  checkCredentials () { return this.#watch(async () => this.driver.checkCredentials()) }
  listSizes () { return this.#watch(async () => this.driver.listSizes()) }
  listImages () { return this.#watch(async () => this.driver.listImages()) }
  listLocations () { return this.#watch(async () => this.driver.listLocations()) }
  listMachines () { return this.#watch(async () => this.driver.listMachines()) }
  createMachine (spec: CreateMachineSpec) { return this.#watch(async () => this.driver.createMachine(spec)) }
  performAction (id: string, action: MachineAction) { return this.#watch(async () => this.driver.performAction(id, action)) }
  get followOperations () {
    const follow = this.driver.followOperations
    return follow === undefined ? undefined : async (operations: readonly OperationRef[]) => this.#watch(async () => follow.call(this.driver, operations))
  }

  get addTag () {
    const add = this.driver.addTag
    return add === undefined ? undefined : async (id: string, tag: string) => this.#watch(async () => add.call(this.driver, id, tag))
  }

  get supports () {
    const supports = this.driver.supports
    return supports === undefined ? undefined : (machine: { size: string | null, image: string | null }, action: MachineAction) => supports.call(this.driver, machine, action)
  }
}
