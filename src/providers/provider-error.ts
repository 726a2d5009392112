/**
 * Every way a cloud can fail, as the drivers report it. `outcome` says whether the cloud may have
 * done the work anyway: after a timeout or a 5xx nobody knows, so the machine is left in its
 * transitional state for the watcher to reconcile; after a refusal it is rolled back at once.
 */
export type ProviderFailure =
  | 'timeout' | 'unavailable' | 'rate-limited' | 'server-error'
  | 'credentials-rejected' | 'invalid-request' | 'not-found' | 'conflict'

export class ProviderError extends Error {
  readonly failure: ProviderFailure
  readonly retryAfterSeconds: number | undefined

  constructor (failure: ProviderFailure, message: string, options: { retryAfterSeconds?: number, cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'ProviderError'
    this.failure = failure
    this.retryAfterSeconds = options.retryAfterSeconds
  }

  /** True when the cloud certainly did not perform the request. */
  get certainlyNotDone (): boolean {
    return this.failure !== 'timeout' && this.failure !== 'server-error'
  }
}
