import { cloudPlugin } from '../kit/cloud-plugin.ts'
import { DeferredDriver } from '../kit/deferred-driver.ts'
import { ProviderError } from '../provider-error.ts'
import { GCE_CREDENTIALS, GCE_SETTINGS } from './fields.ts'
import { GCE_ENDPOINTS } from './endpoints.ts'
import { GCE_PRICE_TABLE } from './prices.ts'
import { parseServiceAccountKey } from './service-account-key.ts'

/** Google Compute Engine instances of one project (every zone), through @google-cloud/compute. */
export default cloudPlugin('gce', GCE_ENDPOINTS, (endpoints) => ({
  title: 'Google Compute Engine',
  machineKind: 'vm',
  credentials: GCE_CREDENTIALS,
  settings: GCE_SETTINGS,
  priceSource: `Stratus's GCE price table dated ${GCE_PRICE_TABLE.fetched_at}: ${GCE_PRICE_TABLE.source}`,
  // Compute Engine's default rate quota for list and get requests: 1,500 a minute per project
  // (cloud.google.com/compute/api-quota, read 2026-12). A listing is pages of 500 instances.
  listingBudget: { requestsPerHour: 1500 * 60, machinesPerCall: 500, callsPerListing: 1 },
  // GCE lists an instance in its new status once the operation has begun.
  staleGraceMs: 10_000,
  validate: (credentials) => {
    const key = parseServiceAccountKey(String(credentials.private_key))
    return Array.isArray(key) ? key : []
  },
  connect: (backend) => {
    const key = parseServiceAccountKey(String(backend.credentials.private_key))
    if (Array.isArray(key)) throw new ProviderError('credentials-rejected', `gce: ${key.join('; ')}`)
    // @google-cloud/compute is loaded with the driver, at a backend's first call (kit/deferred-driver.ts).
    return new DeferredDriver({ followsOperations: true, tags: true }, async () => new (await import('./gce-driver.ts')).GceDriver(backend, endpoints, key))
  }
}))
