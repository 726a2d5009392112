import { randomUUID } from 'node:crypto'
import type { Backend, Machine, PrismaClient } from '../generated/prisma/client.ts'
import { isValidNow, MACHINE_ACTIONS, transitionalStateOf, validFromStates, type MachineAction } from '../domain/lifecycle.ts'
import { isTransitional } from '../domain/machine-states.ts'
import { adminPassword as newAdminPassword } from '../domain/ids.ts'
import type { SecretBox } from '../domain/secret-box.ts'
import { canEver, type CreateMachineSpec, type OperationRef } from '../providers/driver.ts'
import type { MachineCreateBody } from '../schemas/mist-machine.ts'
import { ProviderError } from '../providers/provider-error.ts'
import { encodeOperationRef } from '../providers/kit/operation-ref.ts'
import type { ProviderRegistry } from '../providers/provider-registry.ts'
import { archivedMachine, invalidFields, Problem } from '../problems.ts'
import { BACKENDS_API, type Vocabulary } from '../domain/vocabulary.ts'
import { claim, recordOperation, settleIntent, undoClaim } from './machine-writer.ts'
import type { SizeCatalog } from './size-catalog.ts'
import type { BackendWatcher } from './backend-watcher.ts'
import type { Principal } from './token-verifier.ts'
import { ownedBy } from '../domain/ownership.ts'
import type { MachineWithBackend } from './lookup.ts'
import { readBackendMachines } from './machine-reads.ts'
import type { MistMachineRow } from '../representations/mist-machine-fields.ts'
import type { Sql } from '../db/sql.ts'

/** The create body, with the fields providers add (machineFields), validated by their schemas. */
export type CreateMachineInput = MachineCreateBody & Record<string, unknown>

/** A disabled backend's machines neither change nor get polled (mist.io's backend toggle). */
const disabled = (backend: Backend): Problem =>
  new Problem('conflict', `backend ${backend.id} is disabled; enable it (POST /backends/${backend.id} {"new_state": "1"}) first`)

/** Creating machines, acting on them, and keeping their records in line with the provider. */
export class MachineService {
  constructor (
    private readonly db: PrismaClient,
    private readonly sql: Sql,
    private readonly providers: ProviderRegistry,
    private readonly sizes: SizeCatalog,
    private readonly watcher: BackendWatcher,
    private readonly secrets: SecretBox,
    /** LIST_FRESH_MS: a backend listed whole more recently than this is answered from its records. */
    private readonly listFreshMs: number
  ) {}

  /** `uuid`: the machine's uuid and the cloud's client token (an Idempotency-Key's, so a retry finds it). */
  async create (owner: Principal, backend: Backend, input: CreateMachineInput, uuid: string = randomUUID()): Promise<Machine> {
    const definition = this.providers.definitionFor(backend)
    if (!backend.enabled) throw disabled(backend)
    // Fields another loaded provider reads (docker_* on a sandbox backend, say) do not apply here.
    const own = definition.machineFields ?? {}
    const foreign = this.providers.definitions
      .flatMap(([, other]) => Object.keys(other.machineFields ?? {}))
      .filter((field) => input[field] !== undefined && !Object.hasOwn(own, field))
    if (foreign.length > 0) {
      throw invalidFields(`${foreign.join(', ')} do not apply to ${backend.provider} backends`, foreign.map((field) => ({ field, detail: `does not apply to ${backend.provider} backends` })))
    }
    const providerFields = Object.fromEntries(Object.keys(own).filter((field) => input[field] !== undefined).map((field) => [field, input[field]]))
    const problems = definition.validateMachine?.(providerFields) ?? []
    if (problems.length > 0) throw invalidFields(problems.map((problem) => `${problem.field}: ${problem.detail}`).join('; '), problems)
    const key = input.key === undefined
      ? await this.db.key.findFirst({ where: { ownerId: owner.id, isDefault: true } })
      : await this.db.key.findFirst({ where: { id: input.key, ...ownedBy(owner) } })
    if (input.key !== undefined && key === null) throw new Problem('unknown-reference', `key ${input.key} does not exist`)
    if (key === null && definition.needsKey !== false) {
      throw invalidFields('no key was given and you have no default key (POST /keys/{key_id} makes one the default)', [{ field: 'key', detail: 'needed: no default key' }])
    }
    if (input.location === undefined && definition.needsLocation !== false) {
      throw invalidFields(`location is required on ${backend.provider} backends`, [{ field: 'location', detail: `required on ${backend.provider} backends` }])
    }
    const size = await this.sizes.find(backend, input.size)
    if (size === undefined) throw new Problem('unknown-reference', `size ${input.size} is not offered by backend ${backend.id}`)

    const adminPassword = newAdminPassword(20)
    const spec: CreateMachineSpec = {
      name: input.name,
      // The size's own id, whichever of its ids the create named.
      size: size.sizeId,
      image: input.image,
      location: input.location ?? '',
      clientToken: uuid,
      publicKey: key?.publicKey ?? null,
      script: input.script ?? null,
      adminPassword,
      monitoring: input.monitoring ?? false,
      providerFields
    }
    const kind = input.kind ?? definition.machineKind
    const sealedPassword = this.secrets.seal(adminPassword)
    // The intent is recorded before the cloud is called: if this server dies before the machine
    // row is written, a watch job finds the cloud's machine by our uuid and adopts it.
    const intent = await this.db.machineIntent.create({
      data: {
        uuid,
        backendId: backend.id,
        ownerId: owner.id,
        name: input.name,
        kind,
        size: size.sizeId,
        image: input.image,
        location: input.location ?? null,
        keyId: key?.id ?? null,
        hourlyPrice: size.hourlyPrice,
        currency: size.currency,
        adminPassword: sealedPassword
      }
    })
    const driver = this.providers.driverFor(backend)
    let created
    try {
      created = await driver.createMachine(spec)
    } catch (error) {
      // Refused for sure: nothing to reconcile. Otherwise (a timeout, a 5xx) the cloud may have
      // it, and this request gives up on it: the next pass adopts it when it is listed (or marks
      // the create failed once it has not been, within CREATE_RECOVERY_MS).
      if (error instanceof ProviderError && error.certainlyNotDone) await this.db.machineIntent.delete({ where: { uuid } })
      else {
        await this.db.machineIntent.updateMany({ where: { uuid, state: 'creating' }, data: { state: 'abandoned' } })
        await this.watcher.watch(backend.id, 'api_action')
      }
      throw error
    }

    let machine: Machine
    try {
      const operation = created.operation === undefined ? null : encodeOperationRef(created.operation)
      // The cloud's operation making it is followed to its end by the watch (backend-sync.ts).
      // Null: a pass settled the intent meanwhile (this create outlived its grace): that row stands.
      machine = await settleIntent(this.db, intent, created, { cause: 'api_action', detail: 'create' }, operation) ??
        await this.db.machine.findFirstOrThrow({ where: { OR: [{ uuid }, { backendId: backend.id, providerId: created.id }] } })
    } catch (error) {
      // Never leave a machine running at the provider that no record knows of.
      await driver.performAction(created.id, 'destroy').catch(() => {})
      await this.db.machineIntent.deleteMany({ where: { uuid } }).catch(() => {})
      throw error
    }
    if (isTransitional(machine.state)) await this.watcher.watch(backend.id, 'api_action')
    return machine
  }

  /** The action's "never" (provider) and "not now" (state) checks, then the action itself. */
  /** `words` is the dialect the client speaks, for the refusals' states and actions; `cause` is why, as history records it. */
  async act (machine: MachineWithBackend, action: MachineAction, words: Vocabulary = BACKENDS_API, cause: 'api_action' | 'schedule' = 'api_action'): Promise<Machine> {
    if (!machine.backend.enabled) throw disabled(machine.backend)
    const driver = this.providers.driverFor(machine.backend)
    if (!canEver(driver, machine, action)) {
      throw new Problem('action-not-supported', `${machine.backend.provider} cannot ${words.action(action)} this machine (size ${machine.size ?? 'unknown'})`)
    }
    const claimed = await claim(this.db, {
      machineId: machine.id, from: validFromStates(action), to: transitionalStateOf(action), cause, detail: action
    })
    if (claimed === null) throw await this.#invalidState(machine.id, action, words)

    let operation: OperationRef | undefined
    try {
      ({ operation } = await driver.performAction(machine.providerId, action))
    } catch (error) {
      if (error instanceof ProviderError && error.certainlyNotDone) {
        // Nothing happened to the machine: it is left as it was, with the reason as last_error.
        await undoClaim(this.db, claimed, `${action}: ${error.message}`)
      } else {
        // Nobody knows whether the provider did it: the watch asks until it knows.
        await this.watcher.watch(machine.backendId, 'api_action')
      }
      throw error
    }
    // Followed to its end by the next syncs, on any server (backend-sync.ts); only while the
    // machine is still in the state this action put it in.
    if (operation !== undefined) await recordOperation(this.db, claimed.machine, encodeOperationRef(operation))
    await this.watcher.watch(machine.backendId, 'api_action')
    return claimed.machine
  }

  /** The tag goes to the cloud first: a tag the cloud refused is not recorded. */
  async tag (machine: MachineWithBackend, tag: string): Promise<{ tags: string[] }> {
    if (machine.state === 'terminated') throw archivedMachine('tagged', machine.state)
    if (!machine.backend.enabled) throw disabled(machine.backend)
    // A cloud that cannot tag after create (no addTag) leaves the tag to Stratus alone.
    if (!machine.tags.includes(tag)) await this.providers.driverFor(machine.backend).addTag?.(machine.providerId, tag)
    // One conditional write: concurrent taggers cannot add the same tag twice.
    await this.db.machine.updateMany({
      where: { id: machine.id, state: { not: 'terminated' }, NOT: { tags: { has: tag } } },
      data: { tags: { push: tag } }
    })
    const tagged = await this.db.machine.findUniqueOrThrow({ where: { id: machine.id }, select: { tags: true, state: true } })
    if (tagged.state === 'terminated') throw archivedMachine('tagged', tagged.state)
    return { tags: tagged.tags }
  }

  async #invalidState (machineId: number, action: MachineAction, words: Vocabulary): Promise<Problem> {
    const current = await this.db.machine.findUniqueOrThrow({ where: { id: machineId }, include: { backend: true } })
    const driver = this.providers.driverFor(current.backend)
    const allowed = MACHINE_ACTIONS.filter((candidate) => isValidNow(current.state, candidate) && canEver(driver, current, candidate))
    const state = words.state(current.state)
    return new Problem('invalid-state', `cannot ${words.action(action)} a machine that is ${state}`, {
      extensions: { state, allowed_actions: words.actions(allowed) }
    })
  }

  /**
   * The backend's machines for a list: read from its provider (one listing) with what changed
   * recorded, machines still unsettled left to a watch job; or, when some server listed the
   * backend whole within LIST_FRESH_MS (or it is disabled, and so not asked), as recorded.
   * `since`: when the request began (performance.now()); a pass of this server that ended after it answers it too.
   */
  async list (backend: Backend, since: number = performance.now()): Promise<MistMachineRow[]> {
    if (this.mustList(backend)) return (await this.watcher.syncNow(backend, 'provider_sync', since)).machines
    return readBackendMachines(this.sql, backend.id)
  }

  /**
   * Whether a list must ask the cloud first: the backend is enabled and nobody listed it within
   * LIST_FRESH_MS, nor within the spacing its cloud's request budget asks for.
   */
  mustList (backend: Backend): boolean {
    const fresh = Math.max(this.listFreshMs, this.providers.listingSpacingMs(backend))
    return backend.enabled && (backend.listedAt === null || Date.now() - backend.listedAt.getTime() >= fresh)
  }
}
