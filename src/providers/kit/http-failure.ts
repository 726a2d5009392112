import { ProviderError } from '../provider-error.ts'
import { failureOfNetworkError, failureOfStatus, retryAfterSeconds } from './call-with-retries.ts'

/** What a classifier knows of a cloud's HTTP answer, whatever its SDK calls the parts. */
export interface HttpAnswer {
  status: number
  /** A response header by its lower-case name. */
  header(name: string): string | null | undefined
  /** The cloud's own words for the failure (its error body's message), if any. */
  message?: string | null
  /** The cloud's error code (DigitalOcean's id, ARM's code), if any. */
  code?: string | null
}

/**
 * The one way a cloud's failed HTTP answer becomes a ProviderError, for every cloud: the status
 * mapped once (failureOfStatus), the wait read once (Retry-After; on a 429 without it, the
 * RateLimit-Reset epoch DigitalOcean sends), the message as "<cloud>: <words> (<status> <code>)".
 */
export function httpFailure (cloud: string, answer: HttpAnswer, cause?: unknown): ProviderError {
  const reset = Number(answer.header('ratelimit-reset'))
  const retryAfter = retryAfterSeconds(answer.header('retry-after')) ??
    (answer.status === 429 && Number.isFinite(reset) && reset > 0 ? Math.max(1, Math.ceil(reset - Date.now() / 1000)) : undefined)
  const words = (answer.message ?? '').trim() === '' ? `HTTP ${answer.status}` : answer.message!.trim().slice(0, 300)
  const code = answer.code === undefined || answer.code === null || answer.code === '' ? '' : ` ${answer.code}`
  return new ProviderError(failureOfStatus(answer.status), `${cloud}: ${words} (${answer.status}${code})`, {
    cause, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter })
  })
}

/** A failure with no answer at all: the time ran out (504), or the cloud could not be reached (503). */
export function networkFailure (cloud: string, error: unknown, signal: AbortSignal): ProviderError {
  const failure = failureOfNetworkError(error, signal) ?? 'unavailable'
  const what = (error as { code?: string } | null)?.code ?? (error as Error | null)?.message ?? String(error)
  return new ProviderError(failure, `${cloud}: ${failure === 'timeout' ? 'no answer in time' : what}`, { cause: error })
}
