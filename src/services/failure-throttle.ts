/**
 * Counts failed authentications per client address in fixed windows. Tokens are 256-bit random
 * values, so guessing is hopeless anyway; this keeps floods of bad tokens from going unanswered
 * by any limit (the per-token limiter only sees valid tokens).
 */
export class FailureThrottle {
  readonly #windows = new Map<string, { count: number, resetAt: number }>()

  constructor (private readonly max: number, private readonly windowMs: number) {}

  /** Seconds to wait when the address is over its budget, else null. */
  blocked (address: string, now = Date.now()): number | null {
    const window = this.#windows.get(address)
    if (window === undefined || window.resetAt <= now || window.count < this.max) return null
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000))
  }

  fail (address: string, now = Date.now()): void {
    const window = this.#windows.get(address)
    if (window === undefined || window.resetAt <= now) {
      if (this.#windows.size > 100_000) this.#windows.clear()
      this.#windows.set(address, { count: 1, resetAt: now + this.windowMs })
    } else {
      window.count++
    }
  }
}
