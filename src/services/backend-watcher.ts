import { setMaxListeners } from 'node:events'
import type { FastifyBaseLogger } from 'fastify'
import type { Backend, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import { TRANSITIONAL_STATES } from '../domain/machine-states.ts'
import type { ProviderRegistry } from '../providers/provider-registry.ts'
import { isDatabaseUnavailable } from '../db/unavailable.ts'
import { syncBackend, type SyncResult } from './backend-sync.ts'
import type { JobEngine, QueueSpec } from './job-engine.ts'

export const WATCH_QUEUE = 'backend-watch'
export const SYNC_QUEUE = 'backend-sync-all'

interface WatchJob { backendId: string, cause: TransitionCause, failures?: number }

export interface WatcherOptions {
  /** How often a backend with unsettled machines is listed (POLL_INTERVAL_MS). */
  intervalMs: number
  /** How long one job watches before handing over to a fresh one (WATCH_LEASE_MS). */
  leaseMs: number
  /** How often every backend is synced with its provider (SYNC_INTERVAL_MS; 0: never). */
  syncIntervalMs: number
  staleGraceMs: number
  intentGraceMs: number
  log: FastifyBaseLogger
}

const MAX_BACKOFF_MS = 30_000
const ENDED_PASSES_KEPT = 256
/**
 * How long a pass's result is kept for the lists that began while it ran: they reach it within
 * milliseconds (a backend read, a driver looked up); a whole account's machines are not held longer.
 */
const ENDED_PASS_KEPT_MS = 2000

/**
 * Keeps machine records in line with their clouds, as jobs: a backend with unsettled machines is
 * watched by one job at a time, whichever server runs it, listing the backend once per interval
 * until everything has settled; every backend is synced once per SYNC_INTERVAL_MS across all
 * servers. A job whose server dies expires after twice the lease and another worker takes it up.
 */
export class BackendWatcher {
  readonly #stopping = new AbortController()
  /** Passes under way on this server, by backend: concurrent list requests share one. */
  readonly #passes = new Map<string, Promise<SyncResult>>()
  /**
   * The last pass of each backend on this server and when it ended (performance.now(): monotonic
   * and finer than a millisecond, so a pass that ended before a list began is never taken for one
   * that ended after): a list that began before it ended (it read the backend as stale while the
   * pass ran) takes its result instead of listing again. Bounded: only the most recent backends,
   * each for ENDED_PASS_KEPT_MS.
   */
  readonly #ended = new Map<string, { at: number, result: SyncResult }>()

  constructor (
    private readonly db: PrismaClient,
    private readonly providers: ProviderRegistry,
    private readonly jobs: JobEngine,
    private readonly options: WatcherOptions
  ) {
    // Every running watch listens for the stop (WATCH_CONCURRENCY of them): not a leak.
    setMaxListeners(0, this.#stopping.signal)
  }

  /** The job queues this needs (created by every server; creating is idempotent). */
  queues (): QueueSpec[] {
    const expireInSeconds = Math.max(1, Math.ceil(2 * this.options.leaseMs / 1000))
    return [
      { name: WATCH_QUEUE, policy: 'stately', expireInSeconds },
      { name: SYNC_QUEUE, policy: 'stately', expireInSeconds }
    ]
  }

  /** Asks for the backend to be watched until its machines settle; from any server. */
  async watch (backendId: string, cause: TransitionCause, failures = 0, startAfter?: Date): Promise<void> {
    await this.jobs.send<WatchJob>(WATCH_QUEUE, { backendId, cause, failures }, { key: backendId, startAfter })
  }

  /** On a worker: takes up the jobs, queues the periodic sync, and watches what a stop left unsettled. */
  async startWorking (concurrency: number): Promise<void> {
    await this.jobs.work<WatchJob>(WATCH_QUEUE, concurrency, async (job) => this.#watch(job))
    if (this.options.syncIntervalMs > 0) {
      await this.jobs.work(SYNC_QUEUE, 1, async () => this.#syncAll())
      await this.#queueNextSync()
    }
    const recovering = await this.recover({})
    if (recovering > 0) this.options.log.info({ backends: recovering }, 'watching backends with machines left unsettled')
  }

  /** Backends with machines in transitional states or creates in flight get a watch job. */
  async recover (where: { backendId?: string }): Promise<number> {
    const backends = await this.db.backend.findMany({
      where: {
        ...(where.backendId === undefined ? {} : { id: where.backendId }),
        enabled: true,
        deletedAt: null,
        machines: { some: { state: { in: [...TRANSITIONAL_STATES] } } }
      },
      select: { id: true }
    })
    const intents = await this.db.machineIntent.findMany({ where: { state: { in: ['creating', 'abandoned'] }, ...where }, select: { backendId: true }, distinct: ['backendId'] })
    const ids = new Set([...backends.map((backend) => backend.id), ...intents.map((intent) => intent.backendId)])
    for (const id of ids) await this.watch(id, 'restart_recovery')
    return ids.size
  }

  /**
   * One pass over a backend the caller has read (enabled), now, on this server (a list request);
   * unsettled machines get a watch job.
   */
  async syncNow (backend: Backend, cause: TransitionCause, since = performance.now()): Promise<SyncResult> {
    const ended = this.#ended.get(backend.id)
    let pass = this.#passes.get(backend.id) ?? (ended !== undefined && ended.at > since ? Promise.resolve(ended.result) : undefined)
    if (pass === undefined) {
      pass = this.#pass(backend, cause).then((result) => {
        const ended = { at: performance.now(), result }
        this.#ended.delete(backend.id)
        this.#ended.set(backend.id, ended)
        if (this.#ended.size > ENDED_PASSES_KEPT) this.#ended.delete(this.#ended.keys().next().value!)
        setTimeout(() => { if (this.#ended.get(backend.id) === ended) this.#ended.delete(backend.id) }, ENDED_PASS_KEPT_MS).unref()
        return result
      }).finally(() => this.#passes.delete(backend.id))
      this.#passes.set(backend.id, pass)
    }
    const result = await pass
    if (result.unsettled > 0) await this.watch(backend.id, cause)
    return result
  }

  #pass (backend: Backend, cause: TransitionCause): Promise<SyncResult> {
    const definition = this.providers.definitionFor(backend)
    return syncBackend(this.db, this.providers.driverFor(backend), backend, {
      cause, staleGraceMs: definition.staleGraceMs ?? this.options.staleGraceMs, intentGraceMs: this.options.intentGraceMs, machineKind: definition.machineKind
    })
  }

  async #watch ({ backendId, cause, failures = 0 }: WatchJob): Promise<void> {
    const until = Date.now() + this.options.leaseMs
    // Right after an action the cloud has had no time to move: the first look comes an interval later.
    if (cause === 'api_action' && failures === 0) await this.#sleep(this.options.intervalMs)
    for (;;) {
      // This server is stopping: a fresh job carries on, on any server.
      if (this.#stopping.signal.aborted) {
        await this.watch(backendId, cause, failures)
        return
      }
      let result: SyncResult
      try {
        const backend = await this.db.backend.findFirst({ where: { id: backendId, deletedAt: null } })
        // A disabled backend is not polled; enabling it asks for a watch again (recover).
        if (backend === null || !backend.enabled) return
        // Listed too recently for the cloud's request budget (by any server): wait for the next
        // listing's turn, past the lease as a fresh job, so that a long wait never looks like a death.
        const due = (backend.listedAt?.getTime() ?? 0) + this.providers.listingSpacingMs(backend)
        if (due > Date.now()) {
          if (due > until) {
            await this.watch(backendId, cause, failures, new Date(due))
            return
          }
          await this.#sleep(due - Date.now())
          continue
        }
        result = await this.#pass(backend, cause)
      } catch (error) {
        // The database is away: the job fails, and is taken up again once it is back (job engine).
        if (isDatabaseUnavailable(error)) throw error
        // The cloud failed or is rate-limiting: try again later, backing off, rather than at once.
        const delay = Math.min(this.options.intervalMs * 2 ** Math.min(failures + 1, 10), MAX_BACKOFF_MS)
        this.options.log.warn({ backendId, err: error, retryInMs: delay }, 'could not read the backend\'s machines from its provider')
        await this.watch(backendId, cause, failures + 1, new Date(Date.now() + delay))
        return
      }
      failures = 0
      if (result.unsettled === 0) return
      // The lease is up: a fresh job carries on, on any server.
      if (Date.now() + this.options.intervalMs > until) {
        await this.watch(backendId, cause)
        return
      }
      await this.#sleep(this.options.intervalMs)
    }
  }

  async #syncAll (): Promise<void> {
    // The next run is queued first, so that a failure here cannot end the chain.
    await this.#queueNextSync()
    const backends = await this.db.backend.findMany({ where: { enabled: true, deletedAt: null }, select: { id: true } })
    for (const backend of backends) await this.watch(backend.id, 'provider_sync')
  }

  async #queueNextSync (): Promise<void> {
    await this.jobs.send(SYNC_QUEUE, {}, { key: 'all', startAfter: new Date(Date.now() + this.options.syncIntervalMs) })
  }

  async #sleep (ms: number): Promise<void> {
    if (this.#stopping.signal.aborted) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.#stopping.signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
  }

  /** Running watches hand over to fresh jobs at their next step instead of sleeping on. */
  stop (): void { this.#stopping.abort() }
}
