import { setTimeout as sleep } from 'node:timers/promises'

/**
 * A cloud's "slow down", kept for every call to that cloud with these credentials: after an
 * answer with Retry-After (a 429, or a 503 that names a wait), no attempt of any call goes out
 * before that time, not only the retry of the call that was told. Clouds throttle an account
 * (Azure a subscription, EC2 an account and region), not one request, so the sibling calls of a
 * listing must wait too.
 */
export class Throttle {
  #quietUntil = 0

  /** The cloud asked for `seconds` of quiet (the longest request wins). */
  quietFor (seconds: number): void {
    this.#quietUntil = Math.max(this.#quietUntil, Date.now() + seconds * 1000)
  }

  /** How long until calls may go out again (0: now). */
  get waitMs (): number { return Math.max(0, this.#quietUntil - Date.now()) }

  /** Waits out the quiet, unless `signal` ends the call first. */
  async wait (signal?: AbortSignal): Promise<void> {
    const ms = this.waitMs
    if (ms > 0) await sleep(ms, undefined, signal === undefined ? {} : { signal })
  }
}
