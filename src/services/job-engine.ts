import { setMaxListeners } from 'node:events'
import PgBoss from 'pg-boss'

/** Where jobs are kept: a PostgreSQL server (a pool of pg-boss's own), or the embedded PGlite through an adapter. */
export type JobStore = { connectionString: string, connectionTimeoutMillis?: number, query_timeout?: number } | { db: PgBoss.Db }

export interface QueueSpec {
  name: string
  /**
   * stately: at most one job per key waiting and one running, so a backend's work runs on one
   * server at a time and asking for it again while it runs queues exactly one follow-up.
   */
  policy: 'stately'
  /** A running job not finished within this is taken to have died with its server and is retried. */
  expireInSeconds: number
}

export type JobHandler<T> = (data: T) => Promise<void>

/**
 * pg-boss 10's fetch (plans.js fetchNextJob), passing over jobs whose key has one running: one
 * probe of pg-boss's stately index per waiting job (the policy is its predicate's; without it,
 * a scan of the queue per waiting job). Its tests (tests/services/job-engine.test.ts) hold these
 * statements to the installed pg-boss's tables.
 */
const NEXT_JOB = `
  SELECT id FROM pgboss.job j
  WHERE name = $1 AND state < 'active' AND start_after < now()
    AND NOT EXISTS (SELECT 1 FROM pgboss.job a WHERE a.name = $1 AND a.state = 'active' AND a.policy = 'stately' AND COALESCE(a.singleton_key, '') = COALESCE(j.singleton_key, ''))
  ORDER BY priority DESC, created_on, id
  LIMIT 1
  FOR UPDATE SKIP LOCKED`
const ACTIVATE_NEXT = `
  UPDATE pgboss.job j SET state = 'active', started_on = now(),
    retry_count = CASE WHEN started_on IS NOT NULL THEN retry_count + 1 ELSE retry_count END
  FROM next WHERE j.name = $1 AND j.id = next.id
  RETURNING j.id, j.data`
const FETCH = `WITH next AS (${NEXT_JOB}) ${ACTIVATE_NEXT}`
/** pg-boss 10's completion (plans.js completeJobs, with no output), then the fetch. */
const COMPLETE_AND_FETCH = `
  WITH done AS (
    UPDATE pgboss.job SET completed_on = now(), state = 'completed', output = NULL
    WHERE name = $1 AND id = $2::uuid AND state = 'active'
    RETURNING id
  ), next AS (${NEXT_JOB})
  ${ACTIVATE_NEXT}`

interface Job<T> { id: string, data: T }

/**
 * Background work as jobs in the database (pg-boss): any server may ask for work, a worker
 * server does it, and a job whose server died is taken up by another once it expires. One code
 * path for PostgreSQL and the embedded PGlite.
 */
export class JobEngine {
  readonly #boss: PgBoss
  /** Wakes the loops working each queue (a job was just sent). */
  readonly #wake = new Map<string, Array<() => void>>()
  /** Queues that have a loop polling on a timer; the others' idle loops wait to be woken. */
  readonly #polling = new Set<string>()
  readonly #loops = new Set<Promise<void>>()
  readonly #stopping = new AbortController()
  #started = false

  constructor (store: JobStore, private readonly options: {
    /** Whether this server runs maintenance: expiring jobs whose server died, retries, clean-up (workers do). */
    supervise: boolean
    maintenanceIntervalSeconds: number
    pollingIntervalSeconds: number
    onError: (error: Error) => void
    /**
     * Where a failure to reach the database is reported (true: it was one, and logged once per
     * outage) and waited out: a loop waits for the database's return instead of polling it.
     */
    availability?: { noteFailure(error: unknown): boolean, whenUp(signal?: AbortSignal): Promise<void> }
  }) {
    // Every idle loop listens for the stop (WATCH_CONCURRENCY of them): not a leak.
    setMaxListeners(0, this.#stopping.signal)
    this.#boss = new PgBoss({
      // pg-boss hands these to its node-postgres pool: bounded connects and queries, as the server's own.
      ...('connectionString' in store ? { ...store, max: 4 } : { db: store.db }),
      schema: 'pgboss',
      application_name: 'stratus-jobs',
      supervise: options.supervise,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds,
      // Finished jobs are kept an hour for inspection, not pg-boss's default of days.
      deleteAfterSeconds: 3600,
      archiveCompletedAfterSeconds: 60,
      // No cron: periodic work re-queues itself (see BackendWatcher), at millisecond precision.
      schedule: false
    })
    this.#boss.on('error', (error: Error) => { this.#report(error) })
  }

  /** A failure: logged unless it is the database being away (reported once per outage). */
  #report (error: Error): boolean {
    const unavailable = this.options.availability?.noteFailure(error) === true
    if (!unavailable) this.options.onError(error)
    return unavailable
  }

  /** Creates the job tables and queues on first use (both are idempotent, so servers may race). */
  async start (queues: readonly QueueSpec[]): Promise<void> {
    await this.#boss.start()
    this.#started = true
    for (const queue of queues) await this.#createQueue(queue)
  }

  /** Queues of a service registered after the engine started (each service owns its queues). */
  async addQueues (queues: readonly QueueSpec[]): Promise<void> {
    for (const queue of queues) await this.#createQueue(queue)
  }

  /**
   * Servers starting at once on a fresh database race to create the same queue (a table partition
   * each); PostgreSQL may answer one of them with a deadlock or a duplicate. The queue then exists
   * or is about to: look again, a few times.
   */
  async #createQueue (queue: QueueSpec): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (await this.#boss.getQueue(queue.name) !== null) return
      try {
        await this.#boss.createQueue(queue.name, { name: queue.name, policy: queue.policy, expireInSeconds: queue.expireInSeconds, retryLimit: 1_000_000, retryDelay: 0 })
        return
      } catch (error) {
        const code = (error as { code?: string }).code
        if (attempt >= 5 || (code !== '40P01' && code !== '23505' && code !== '42P07')) throw error
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100))
      }
    }
  }

  get started (): boolean { return this.#started }

  /**
   * Asks for a job; dropped when the same key already waits (stately). A loop of this process is
   * woken at once, so a server that is also a worker does not wait for its next poll.
   */
  async send<T extends object> (queue: string, data: T, options: { key: string, startAfter?: Date }): Promise<void> {
    const id = await this.#boss.send(queue, data, { singletonKey: options.key, ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }) })
    // A dropped send (its key already waits) gives no loop anything new: a thousand stops on one
    // backend ask for its watch a thousand times, and wake nobody after the first.
    if (id !== null && options.startAfter === undefined) this.#wakeOne(queue)
  }

  /** Many jobs in one statement (a schedule's run: one job per machine); a key already waiting is dropped. */
  async sendMany<T extends object> (queue: string, jobs: ReadonlyArray<{ data: T, key: string }>): Promise<void> {
    if (jobs.length === 0) return
    await this.#boss.insert(jobs.map((job) => ({ name: queue, data: job.data, singletonKey: job.key })))
    for (const wake of [...(this.#wake.get(queue) ?? [])]) wake()
  }

  /**
   * Works the queue with `concurrency` loops, each fetching one job at a time, then waiting a poll
   * interval when there was none (or until a send of this process wakes it). The loops are ours
   * rather than pg-boss's work(), so that stop() knows when every handler has returned.
   */
  async work<T extends object> (queue: string, concurrency: number, handler: JobHandler<T>): Promise<void> {
    for (let i = 0; i < concurrency; i++) {
      const loop = this.#loop(queue, handler).catch((error: unknown) => this.options.onError(error as Error))
      this.#loops.add(loop)
      void loop.finally(() => this.#loops.delete(loop))
    }
  }

  async #loop<T extends object> (queue: string, handler: JobHandler<T>): Promise<void> {
    const signal = this.#stopping.signal
    /** The job the last completion fetched with it, not yet begun. */
    let next: Job<T> | undefined
    while (!signal.aborted) {
      let worked = false
      try {
        const job = next ?? await this.#fetch<T>(queue)
        next = undefined
        if (job !== undefined) {
          worked = true
          // There may be more: a sibling looks while this one works.
          this.#wakeOne(queue)
          try {
            await handler(job.data)
            next = await this.#completeAndFetch<T>(queue, job.id)
          } catch (error) {
            // A job the database's absence cut short is failed once it is back, and so retried at once.
            if (this.#report(error as Error)) await this.options.availability?.whenUp(signal)
            // Failed jobs are retried (the queues' retry limit); a dead server's expire instead.
            await this.#boss.fail(queue, job.id, { message: (error as Error).message }).catch(() => {})
          }
        }
      } catch (error) {
        if (!signal.aborted && this.#report(error as Error)) {
          await this.options.availability?.whenUp(signal)
          continue
        }
      }
      if (!worked) await this.#nap(queue)
    }
    // Fetched as this server stopped: handed back at once (a retry), not left to expire.
    if (next !== undefined) await this.#boss.fail(queue, next.id, { message: 'not begun: its server stopped' }).catch(() => {})
  }

  /**
   * Waits until a job is sent to the queue from this process, a sibling loop wakes this one, or
   * the engine stops. One idle loop per queue also wakes after a poll interval, for jobs sent by
   * other servers or come due: an idle worker costs one fetch per interval, not one per loop.
   */
  async #nap (queue: string): Promise<void> {
    if (this.#stopping.signal.aborted) return
    const polls = !this.#polling.has(queue)
    if (polls) this.#polling.add(queue)
    try {
      await this.#sleep(queue, polls ? this.options.pollingIntervalSeconds * 1000 : null)
    } finally {
      if (polls) this.#polling.delete(queue)
    }
  }

  /**
   * The queue's next job whose key has none running, made active; none if there is none. pg-boss
   * 10's own fetch takes the oldest waiting job whatever its key: when that key's job is still
   * running, the fetch fails on the stately index, and every job behind it (other backends' watches)
   * waits until the running one ends (timgit/pg-boss#535). Two fetches racing for one key still
   * meet that index: the loser gets nothing, and looks again when next woken.
   */
  async #fetch<T extends object> (queue: string): Promise<Job<T> | undefined> {
    try {
      const { rows } = await this.#boss.getDb().executeSql(FETCH, [queue]) as { rows: Array<Job<T>> }
      return rows[0]
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return undefined
      throw error
    }
  }

  /**
   * Completes a job and fetches the next in one statement: one round trip less per job. The next
   * is never the completed job's own key's follow-up (in the statement's snapshot that key still
   * has a job running): when none other is free, a fetch of its own looks again.
   */
  async #completeAndFetch<T extends object> (queue: string, id: string): Promise<Job<T> | undefined> {
    const { rows } = await this.#boss.getDb().executeSql(COMPLETE_AND_FETCH, [queue, id]) as { rows: Array<Job<T>> }
    return rows[0] ?? await this.#fetch<T>(queue)
  }

  #wakeOne (queue: string): void {
    this.#wake.get(queue)?.[0]?.()
  }

  async #sleep (queue: string, ms: number | null): Promise<void> {
    await new Promise<void>((resolve) => {
      const wakers = this.#wake.get(queue) ?? []
      this.#wake.set(queue, wakers)
      let woken = false
      const done = (): void => {
        if (woken) return
        woken = true
        clearTimeout(timer)
        this.#stopping.signal.removeEventListener('abort', done)
        wakers.splice(wakers.indexOf(done), 1)
        resolve()
      }
      const timer = ms === null ? undefined : setTimeout(done, ms)
      wakers.push(done)
      this.#stopping.signal.addEventListener('abort', done, { once: true })
    })
  }

  /** Stops fetching, waits for running handlers (up to timeoutMs), then closes pg-boss's connections. */
  async stop (timeoutMs: number): Promise<void> {
    if (!this.#started) return
    this.#started = false
    this.#stopping.abort()
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.allSettled([...this.#loops]), new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
    await new Promise<void>((resolve) => {
      this.#boss.once('stopped', () => resolve())
      void this.#boss.stop({ graceful: false, wait: false }).catch(() => resolve())
    })
  }
}
