import type { Redis } from 'ioredis'

/**
 * Counts failed authentications per client address in fixed windows. Tokens are 256-bit random
 * values, so guessing is hopeless anyway; this keeps floods of bad tokens from going unanswered
 * by any limit (the per-token limiter only sees valid tokens). In process, or in Redis when
 * REDIS_URL is set, so that servers behind one load balancer count together.
 */
export interface FailureThrottle {
  /** Seconds to wait when the address is over its budget, else null. */
  blocked(address: string): Promise<number | null>
  fail(address: string): Promise<void>
}

export class MemoryFailureThrottle implements FailureThrottle {
  readonly #windows = new Map<string, { count: number, resetAt: number }>()

  constructor (private readonly max: number, private readonly windowMs: number) {}

  async blocked (address: string, now = Date.now()): Promise<number | null> {
    const window = this.#windows.get(address)
    if (window === undefined || window.resetAt <= now || window.count < this.max) return null
    return Math.max(1, Math.ceil((window.resetAt - now) / 1000))
  }

  async fail (address: string, now = Date.now()): Promise<void> {
    const window = this.#windows.get(address)
    if (window === undefined || window.resetAt <= now) {
      if (this.#windows.size > 100_000) this.#windows.clear()
      this.#windows.set(address, { count: 1, resetAt: now + this.windowMs })
    } else {
      window.count++
    }
  }
}

export class RedisFailureThrottle implements FailureThrottle {
  constructor (private readonly redis: Redis, private readonly max: number, private readonly windowMs: number) {}

  #key = (address: string): string => `stratus:auth-failures:${address}`

  async blocked (address: string): Promise<number | null> {
    const [[, count], [, ttl]] = await this.redis.multi().get(this.#key(address)).pttl(this.#key(address)).exec() as [[null, string | null], [null, number]]
    if (count === null || Number(count) < this.max || ttl <= 0) return null
    return Math.max(1, Math.ceil(ttl / 1000))
  }

  async fail (address: string): Promise<void> {
    // The window starts with the first failure (NX: later failures do not extend it).
    await this.redis.multi().incr(this.#key(address)).pexpire(this.#key(address), this.windowMs, 'NX').exec()
  }
}
