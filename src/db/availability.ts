import { setTimeout as sleep } from 'node:timers/promises'
import { isDatabaseUnavailable } from './unavailable.ts'

interface Log {
  warn(details: Record<string, unknown>, message: string): void
  info(details: Record<string, unknown>, message: string): void
}

export interface AvailabilityOptions {
  /** One cheap query (SELECT 1): resolves when the database answers. */
  probe: () => Promise<unknown>
  log: Log
  /** The first wait between probes while the database is away, doubled up to maxDelayMs. */
  firstDelayMs?: number
  maxDelayMs?: number
}

/**
 * Whether the database is reachable, as this server last saw it. The first failure of an outage
 * is logged once and starts probing with a bounded backoff; the first answer is logged once and
 * wakes everything waiting for it. Requests and background work report what they meet here
 * instead of logging each failure, so that an outage is two lines in the log, not thousands.
 */
export class DatabaseAvailability {
  readonly #options: Required<AvailabilityOptions>
  readonly #closing = new AbortController()
  #downSince: number | null = null
  /** Resolves the outage's waiters once the database answers. */
  #back: { promise: Promise<void>, resolve: () => void } = deferred()

  constructor (options: AvailabilityOptions) {
    this.#options = { firstDelayMs: 250, maxDelayMs: 5000, ...options }
  }

  get up (): boolean { return this.#downSince === null }

  /**
   * Whether the error means the database cannot be reached. If so and it was thought up, the
   * outage begins: one warning, and probing until it answers.
   */
  noteFailure (error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false
    if (this.#downSince === null && !this.#closing.signal.aborted) {
      this.#downSince = Date.now()
      this.#back = deferred()
      this.#options.log.warn({ reason: reasonOf(error) }, 'database unreachable: requests answer 503 database-unavailable and background work waits until it is back')
      void this.#probeUntilUp()
    }
    return true
  }

  /** The database answered (a probe, or a readiness check that got there first): the outage is over. */
  noteAnswer (): void {
    if (this.#downSince === null) return
    const downMs = Date.now() - this.#downSince
    this.#downSince = null
    this.#options.log.info({ downMs }, 'database reachable again')
    this.#back.resolve()
  }

  /** Resolves once the database answers again (at once while it is up), or when `signal` aborts. */
  async whenUp (signal?: AbortSignal): Promise<void> {
    if (this.up) return
    const stop = signal === undefined ? this.#closing.signal : AbortSignal.any([signal, this.#closing.signal])
    await Promise.race([this.#back.promise, new Promise<void>((resolve) => {
      if (stop.aborted) resolve()
      stop.addEventListener('abort', () => resolve(), { once: true })
    })])
  }

  async #probeUntilUp (): Promise<void> {
    for (let delay = this.#options.firstDelayMs; !this.up; delay = Math.min(delay * 2, this.#options.maxDelayMs)) {
      try {
        await sleep(delay, undefined, { signal: this.#closing.signal })
      } catch {
        return
      }
      if (this.up) return
      try {
        await this.#options.probe()
      } catch {
        continue
      }
      this.noteAnswer()
    }
  }

  /** Stops probing; whoever waits is released. */
  close (): void { this.#closing.abort() }
}

/** A promise and its resolve (Promise.withResolvers, which Node 20 lacks). */
function deferred (): { promise: Promise<void>, resolve: () => void } {
  let resolve = (): void => {}
  const promise = new Promise<void>((_resolve) => { resolve = _resolve })
  return { promise, resolve }
}

const reasonOf = (error: unknown): string => {
  const failure = error as { code?: unknown, message?: unknown }
  const message = typeof failure?.message === 'string' ? failure.message.trim().split('\n').at(-1) ?? '' : String(error)
  return `${typeof failure?.code === 'string' ? `${failure.code}: ` : ''}${message}`.slice(0, 200)
}
