import compute from '@google-cloud/compute'
import type { ProviderError } from '../provider-error.ts'
import { httpFailure, networkFailure } from '../kit/http-failure.ts'
import type { GceEndpoints } from './endpoints.ts'
import type { ServiceAccountKey } from './service-account-key.ts'

/** The clients a backend may use, by what they serve. */
const CLIENTS = {
  instances: compute.InstancesClient,
  operations: compute.ZoneOperationsClient,
  machineTypes: compute.MachineTypesClient,
  images: compute.ImagesClient,
  zones: compute.ZonesClient,
  projects: compute.ProjectsClient
}

export type GceClients = { [K in keyof typeof CLIENTS]: InstanceType<(typeof CLIENTS)[K]> }

/**
 * One client of a backend, authenticated by a self-signed JWT made from its key (`scopes: []`):
 * no call to Google's token URL, which google-auth-library hard-codes and a fake could not stand
 * in for. REST, to the endpoint's host, port and scheme.
 */
export function gceClient<K extends keyof GceClients> (kind: K, key: ServiceAccountKey, project: string, endpoints: GceEndpoints): GceClients[K] {
  const url = new URL(endpoints.compute)
  return new CLIENTS[kind]({
    apiEndpoint: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (url.protocol === 'http:' ? 80 : 443) : Number(url.port),
    protocol: url.protocol.replace(':', ''),
    projectId: project,
    credentials: { client_email: key.client_email, private_key: key.private_key },
    scopes: []
  }) as GceClients[K]
}

/** GCE's error document: `{"error": {"code", "message", "errors": [{"reason", "message", "domain"}]}}`. */
interface GceErrorDocument { error?: { code?: number, message?: string, status?: string, errors?: Array<{ reason?: string, message?: string }> } }

/** Reasons by which GCE asks for quiet: it answers an exceeded rate quota 403 (or 429), without Retry-After. */
const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED'])
/** A resource quota (CPUs, addresses) the project has used up: the request cannot be done as asked, not a credential refusal. */
const QUOTA_REASONS = new Set(['quotaExceeded', 'QUOTA_EXCEEDED'])

/**
 * A google-gax (gaxios) error as a ProviderError, through the kit's one classifier. GaxiosError
 * carries the HTTP status as `code` and the error document as its message; the reason in it
 * decides what a 403 is (refused credentials, a rate quota, a resource quota).
 */
export function classify (cloud: string) {
  return (error: unknown, signal: AbortSignal): ProviderError => {
    const failure = error as { code?: unknown, status?: unknown, message?: string, response?: { status?: number, headers?: unknown } }
    const status = typeof failure.response?.status === 'number' ? failure.response.status : typeof failure.status === 'number' ? failure.status : typeof failure.code === 'number' && failure.code >= 100 ? failure.code : undefined
    if (status === undefined) return networkFailure(cloud, error, signal)
    let document: GceErrorDocument = {}
    try { document = JSON.parse(failure.message ?? '') as GceErrorDocument } catch { /* not the error document: the words as they are */ }
    const reason = document.error?.errors?.[0]?.reason ?? document.error?.status ?? ''
    const as = RATE_REASONS.has(reason) ? 429 : QUOTA_REASONS.has(reason) ? 400 : status
    return httpFailure(cloud, { status: as, header: (name) => headerOf(failure.response?.headers, name), message: document.error?.message ?? failure.message, code: reason }, error)
  }
}

function headerOf (headers: unknown, name: string): string | undefined {
  if (headers === null || headers === undefined) return undefined
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  const value = (headers as Record<string, unknown>)[name]
  return typeof value === 'string' ? value : undefined
}
