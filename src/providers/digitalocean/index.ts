import { cloudPlugin } from '../kit/cloud-plugin.ts'
import { DeferredDriver } from '../kit/deferred-driver.ts'
import { DIGITALOCEAN_CREDENTIALS, DIGITALOCEAN_SETTINGS } from './fields.ts'
import { DIGITALOCEAN_ENDPOINTS } from './endpoints.ts'

/** DigitalOcean droplets, through digitalocean-js, at DIGITALOCEAN_API_URL. */
export default cloudPlugin('digitalocean', DIGITALOCEAN_ENDPOINTS, (endpoints) => ({
  title: 'DigitalOcean',
  machineKind: 'vm',
  credentials: DIGITALOCEAN_CREDENTIALS,
  priceSource: 'DigitalOcean API: GET /v2/sizes price_hourly (USD)',
  settings: DIGITALOCEAN_SETTINGS,
  // docs.digitalocean.com/reference/api: 5,000 requests an hour per token; pages of at most 200.
  listingBudget: { requestsPerHour: 5000, machinesPerCall: 200, callsPerListing: 1 },
  // digitalocean-js is loaded with the driver, at a backend's first call (kit/deferred-driver.ts).
  connect: (backend) => new DeferredDriver({ followsOperations: true, tags: true }, async () => new (await import('./digitalocean-driver.ts')).DigitalOceanDriver(backend, endpoints.apiUrl))
}))
