import type { FastifyBaseLogger } from 'fastify'
import type { PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import { isTransitional, TRANSITIONAL_STATES, type MachineState } from '../domain/machine-states.ts'
import type { ProviderRegistry } from '../providers/provider-registry.ts'
import { reconcile } from './reconcile.ts'

export interface WatchOptions {
  cause: TransitionCause
  /**
   * A cloud may still report the state an action started from for a moment after accepting it
   * (EC2 does). Until `until`, that state is read as "not yet", not as the action's undoing.
   */
  stale?: { state: MachineState, until: number }
}

const MAX_BACKOFF_MS = 30_000

/**
 * Polls the provider for every machine in a transitional state until it settles, and records
 * the final state. Started for each action, for transitional states seen by a sync, and, at
 * start-up, for whatever a crash or restart left pending or stopping, so nothing stays stuck.
 */
export class StateWatcher {
  readonly #timers = new Map<number, NodeJS.Timeout>()
  readonly #running = new Set<Promise<void>>()
  #closed = false

  constructor (
    private readonly db: PrismaClient,
    private readonly providers: ProviderRegistry,
    private readonly intervalMs: number,
    private readonly log: FastifyBaseLogger
  ) {}

  isWatching (machineId: number): boolean { return this.#timers.has(machineId) }

  /** True when no machine is being polled and no check is running. */
  get idle (): boolean { return this.#timers.size === 0 && this.#running.size === 0 }

  watch (machineId: number, options: WatchOptions, failures = 0, delayMs = this.intervalMs): void {
    if (this.#closed || this.#timers.has(machineId)) return
    const timer = setTimeout(() => {
      this.#timers.delete(machineId)
      const check = this.#check(machineId, options, failures).finally(() => this.#running.delete(check))
      this.#running.add(check)
    }, delayMs)
    this.#timers.set(machineId, timer)
  }

  /** After a restart: every machine left in a transitional state is checked at once. */
  async recoverAll (): Promise<number> {
    return this.#recover({})
  }

  /** When a backend is enabled again: its machines left transitional are checked at once. */
  async recoverBackend (backendId: string): Promise<number> {
    return this.#recover({ backendId })
  }

  async #recover (where: { backendId?: string }): Promise<number> {
    const stuck = await this.db.machine.findMany({
      where: { ...where, state: { in: [...TRANSITIONAL_STATES] }, backend: { enabled: true } },
      select: { id: true }
    })
    for (const { id } of stuck) this.watch(id, { cause: 'restart_recovery' }, 0, 0)
    return stuck.length
  }

  async #check (machineId: number, options: WatchOptions, failures: number): Promise<void> {
    if (this.#closed) return
    const machine = await this.db.machine.findUnique({ where: { id: machineId }, include: { backend: true } })
    // A disabled backend is not polled; enabling it starts watching again (recoverBackend).
    if (machine === null || !isTransitional(machine.state) || !machine.backend.enabled) return
    try {
      const observed = await this.providers.driverFor(machine.backend).getMachine(machine.providerId)
      if (observed !== null && options.stale !== undefined && observed.state === options.stale.state && Date.now() < options.stale.until) {
        this.watch(machineId, options)
        return
      }
      const settled = await reconcile(this.db, machine, observed, options.cause)
      if (isTransitional(settled.state)) this.watch(machineId, options)
    } catch (error) {
      if (this.#closed) return
      const delay = Math.min(this.intervalMs * 2 ** Math.min(failures + 1, 10), MAX_BACKOFF_MS)
      this.log.warn({ machineId, err: error, retryInMs: delay }, 'could not read machine state from its provider')
      this.watch(machineId, options, failures + 1, delay)
    }
  }

  async close (): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    await Promise.allSettled([...this.#running])
  }
}
