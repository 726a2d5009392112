import { setTimeout as sleep } from 'node:timers/promises'
import type { CallPolicy } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import { Throttle } from './throttle.ts'

export interface CallOptions {
  /**
   * Whether sending the request twice is harmless (reads, deletes, actions on one machine). A
   * create is not: after a 5xx or a timeout the cloud may have made the machine, so only a 429
   * (certainly refused) is retried, and the sync finds the rest by its client token.
   */
  idempotent: boolean
  /** Ends the call early, retries included (calls made together, one of which already failed). */
  signal?: AbortSignal
}

/**
 * One cloud call under the server's policy: each attempt bounded by the timeout, 429 and (where
 * safe) 5xx retried with doubling backoff or the cloud's own Retry-After, never past `retries`
 * and never waiting longer than `maxDelayMs`. Every failure leaves as a ProviderError.
 */
export async function callWithRetries<T> (
  policy: CallPolicy,
  options: CallOptions,
  classify: (error: unknown, signal: AbortSignal) => ProviderError | Promise<ProviderError>,
  attempt: (signal: AbortSignal) => Promise<T>,
  throttle: Throttle = new Throttle()
): Promise<T> {
  for (let retry = 0; ; retry++) {
    // The cloud asked this account for quiet (an answer to this call or a sibling): no attempt
    // goes out before it is over, unless it is longer than the policy waits.
    if (throttle.waitMs > policy.maxDelayMs) {
      throw new ProviderError('rate-limited', 'the cloud asked for a pause; calls resume after it', { retryAfterSeconds: Math.ceil(throttle.waitMs / 1000) })
    }
    try {
      await throttle.wait(options.signal)
    } catch {
      throw new ProviderError('timeout', 'the call was ended while the cloud asked for a pause')
    }
    const timeout = AbortSignal.timeout(policy.timeoutMs)
    const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
    let failure: ProviderError
    try {
      return await bounded(signal, attempt(signal))
    } catch (error) {
      failure = error instanceof ProviderError ? error : await classify(error, signal)
    }
    if (failure.retryAfterSeconds !== undefined) throttle.quietFor(failure.retryAfterSeconds)
    if (retry >= policy.retries || !retryable(failure, options) || options.signal?.aborted === true) throw failure
    const delayMs = failure.retryAfterSeconds !== undefined
      ? failure.retryAfterSeconds * 1000
      : policy.baseDelayMs * 2 ** retry * (0.5 + Math.random() / 2)
    // A cloud that asks for a long pause gets it: the client hears 503 with its Retry-After.
    if (delayMs > policy.maxDelayMs) throw failure
    try {
      await sleep(delayMs, undefined, { signal: options.signal })
    } catch {
      throw failure
    }
  }
}

/**
 * The attempt, or its abort when the time is up: an SDK that does not hand the signal to every
 * request it makes (Azure's pagers) still cannot hold a caller past the timeout.
 */
async function bounded<T> (signal: AbortSignal, work: Promise<T>): Promise<T> {
  let stop = (): void => {}
  const timedOut = new Promise<never>((_resolve, reject) => {
    const abort = (): void => reject(Object.assign(new Error('the attempt timed out'), { name: 'AbortError' }))
    if (signal.aborted) abort()
    signal.addEventListener('abort', abort, { once: true })
    stop = () => signal.removeEventListener('abort', abort)
  })
  // The abandoned attempt may still fail later; nobody waits for it any more.
  work.catch(() => {})
  try { return await Promise.race([work, timedOut]) } finally { stop() }
}

function retryable (failure: ProviderError, options: CallOptions): boolean {
  if (failure.failure === 'rate-limited') return true
  return options.idempotent && (failure.failure === 'server-error' || failure.failure === 'unavailable')
}

/** Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110, 10.2.3). */
export function retryAfterSeconds (value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000))
}

/**
 * The one mapping from an HTTP status to a failure, for every cloud: what the status means for
 * whether the cloud did the work is the same everywhere.
 */
export function failureOfStatus (status: number): ProviderError['failure'] {
  if (status === 401 || status === 403) return 'credentials-rejected'
  if (status === 404) return 'not-found'
  if (status === 409 || status === 412) return 'conflict'
  if (status === 429) return 'rate-limited'
  if (status === 503 || status === 502) return 'unavailable'
  if (status >= 500) return 'server-error'
  return 'invalid-request'
}

/** Network failures by Node's error codes: refused or unresolvable means unreachable (503). */
export function failureOfNetworkError (error: unknown, signal: AbortSignal): ProviderError['failure'] | undefined {
  if (signal.aborted) return 'timeout'
  const code = (error as { code?: string } | null)?.code ?? (error as { cause?: { code?: string } } | null)?.cause?.code
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout'
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EPIPE') return 'unavailable'
  return undefined
}
