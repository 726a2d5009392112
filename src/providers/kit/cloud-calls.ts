import type { CallPolicy } from '../driver.ts'
import type { ProviderError } from '../provider-error.ts'
import { callWithRetries, type CallOptions } from './call-with-retries.ts'
import { Throttle } from './throttle.ts'

export type Classify = (error: unknown, signal: AbortSignal) => ProviderError | Promise<ProviderError>

/**
 * Every call a driver makes to its cloud, under the server's policy (timeout per attempt, bounded
 * retries) with the cloud's classifier, and one throttle for all of them: one per driver, so one
 * per backend's credentials.
 */
export class CloudCalls {
  readonly #policy: CallPolicy
  readonly #classify: Classify
  readonly throttle = new Throttle()

  constructor (policy: CallPolicy, classify: Classify) {
    this.#policy = policy
    this.#classify = classify
  }

  call<T> (options: CallOptions, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return callWithRetries(this.#policy, options, this.#classify, attempt, this.throttle)
  }
}
