import type { MachineAction } from '../../domain/lifecycle.ts'
import type { CreateMachineSpec, OperationRef, ProviderDriver } from '../driver.ts'

/**
 * What callers look for on a driver before calling it, so it is declared with the deferred
 * driver rather than read from the loaded one: whether it follows operations and tags machines
 * (tests/providers/kit/deferred-driver.test.ts holds each cloud's declaration to its driver class).
 */
export interface DriverShape { followsOperations: boolean, tags: boolean }

/**
 * A cloud's driver whose module, and the cloud SDK it imports, is loaded at its first call rather
 * than when the server starts. The SDKs are most of a server's start: @google-cloud/compute alone
 * took 2.7 s of CPU to import, @aws-sdk/client-ec2 0.9 s, and a server pays that only for the
 * clouds its backends use. Concurrent first calls share one load; a failed load (a constructor
 * refusing the backend) is tried again at the next call.
 */
export class DeferredDriver implements ProviderDriver {
  readonly #load: () => Promise<ProviderDriver>
  #driver: Promise<ProviderDriver> | undefined
  readonly followOperations?: ProviderDriver['followOperations']
  readonly addTag?: ProviderDriver['addTag']

  constructor (shape: DriverShape, load: () => Promise<ProviderDriver>) {
    this.#load = load
    if (shape.followsOperations) this.followOperations = async (operations: readonly OperationRef[]) => (await this.#loaded()).followOperations!(operations)
    if (shape.tags) this.addTag = async (id: string, tag: string) => (await this.#loaded()).addTag!(id, tag)
  }

  async #loaded (): Promise<ProviderDriver> {
    this.#driver ??= this.#load()
    try {
      return await this.#driver
    } catch (error) {
      this.#driver = undefined
      throw error
    }
  }

  async checkCredentials () { return (await this.#loaded()).checkCredentials() }
  async listSizes () { return (await this.#loaded()).listSizes() }
  async listImages () { return (await this.#loaded()).listImages() }
  async listLocations () { return (await this.#loaded()).listLocations() }
  async listMachines () { return (await this.#loaded()).listMachines() }
  async createMachine (spec: CreateMachineSpec) { return (await this.#loaded()).createMachine(spec) }
  async performAction (id: string, action: MachineAction) { return (await this.#loaded()).performAction(id, action) }

  /** Closes the driver if it was ever loaded; one never called has nothing open. */
  async close (): Promise<void> {
    const driver = await this.#driver?.catch(() => undefined)
    await driver?.close?.()
  }
}
