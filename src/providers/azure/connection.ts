import type { ComputeManagementClient } from '@azure/arm-compute'
import type { NetworkManagementClient } from '@azure/arm-network'
import type { SubscriptionClient } from '@azure/arm-resources-subscriptions'
import type { PipelinePolicy } from '@azure/core-rest-pipeline'
import { ProviderError } from '../provider-error.ts'
import { failureOfNetworkError } from '../kit/call-with-retries.ts'
import { httpFailure } from '../kit/http-failure.ts'
import type { Throttle } from '../kit/throttle.ts'
import type { AzureEndpoints } from './endpoints.ts'

/** The transport of the Azure provider (as Libcloud's common/azure.py): clients, credentials, and what Azure's failures mean. */

export interface AzureClients { compute: ComputeManagementClient, network: NetworkManagementClient, subscriptions: SubscriptionClient }

/**
 * The Azure SDKs take about 1.4 s to load: they are loaded when the first Azure backend is used,
 * not on every server start. Our retries (callWithRetries), not the SDK's: one budget, and a
 * timeout per attempt.
 */
export async function connectClients (credentials: Record<string, unknown>, endpoints: AzureEndpoints, subscription: string, throttle: Throttle): Promise<AzureClients> {
  const [{ ComputeManagementClient }, { NetworkManagementClient }, { SubscriptionClient }, { ClientSecretCredential }] = await Promise.all([
    import('@azure/arm-compute'), import('@azure/arm-network'), import('@azure/arm-resources-subscriptions'), import('@azure/identity')
  ])
  // A custom authority host would first be checked against login.microsoftonline.com
  // (instance discovery): unreachable offline, and a leak of where the server points.
  const credential = new ClientSecretCredential(String(credentials.tenant_id), String(credentials.client_id), String(credentials.client_secret), {
    authorityHost: endpoints.authorityHost,
    disableInstanceDiscovery: true,
    retryOptions: { maxRetries: 0 }
  })
  // Azure throttles a subscription, not a request: a pause it asked for holds every request of
  // these clients, the next page of a list as much as a retry (CloudCalls alone sees only attempts).
  const waitForPause: PipelinePolicy = { name: 'stratusThrottle', sendRequest: async (request, next) => { await throttle.wait(request.abortSignal as AbortSignal | undefined); return next(request) } }
  const options = { endpoint: endpoints.resourceManagerUrl, retryOptions: { maxRetries: 0 }, additionalPolicies: [{ policy: waitForPause, position: 'perCall' as const }] }
  return {
    compute: new ComputeManagementClient(credential, subscription, options),
    network: new NetworkManagementClient(credential, subscription, options),
    subscriptions: new SubscriptionClient(credential, options)
  }
}

/** Whether the host answers at all (any HTTP answer): an authority that is there, for an unknown tenant. */
export async function reachable (url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(5000), redirect: 'manual' })
    return true
  } catch {
    return false
  }
}

/**
 * Azure's failures as ProviderErrors: RestError's status and Retry-After; @azure/identity's
 * errors (a refused secret or unknown client is a rejected credential; an authority that cannot
 * be reached is an unavailable cloud).
 */
export function classify (error: unknown, signal: AbortSignal, authorityHost: string): ProviderError {
  const failure = error as { name?: string, statusCode?: number, code?: string, message?: string, response?: { headers?: { get(name: string): string | undefined } }, errorResponse?: { error?: string, errorDescription?: string } }
  if (signal.aborted || failure.name === 'AbortError') return new ProviderError('timeout', 'azure: no answer in time', { cause: error })
  if (failure.name === 'AuthenticationError' || failure.name === 'AuthenticationRequiredError') {
    const description = failure.errorResponse?.errorDescription?.split('\n')[0] ?? failure.message ?? ''
    const network = failureOfNetworkError((error as { cause?: unknown }).cause, signal)
    if (network !== undefined || /ECONNREFUSED|ENOTFOUND|network/i.test(description)) return new ProviderError('unavailable', `azure: ${authorityHost} cannot be reached`, { cause: error })
    return new ProviderError('credentials-rejected', `azure: ${description.slice(0, 300)}`, { cause: error })
  }
  // An unknown tenant and an unreachable authority raise the same error. Telling them apart takes
  // a request to the authority, made only where it matters: when credentials are checked
  // (AzureDriver.checkCredentials); elsewhere the cloud is taken to be away.
  if (failure.name === 'CredentialUnavailableError') return new ProviderError('unavailable', `azure: ${authorityHost} did not resolve the tenant (unknown, or the authority cannot be reached)`, { cause: error })
  if (typeof failure.statusCode === 'number') {
    return httpFailure('azure', { status: failure.statusCode, header: (name) => failure.response?.headers?.get(name), message: failure.message, code: failure.code }, error)
  }
  const network = failureOfNetworkError(error, signal)
  return new ProviderError(network ?? 'unavailable', `azure: ${failure.message ?? String(error)}`, { cause: error })
}
