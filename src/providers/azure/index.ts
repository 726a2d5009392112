import { cloudPlugin } from '../kit/cloud-plugin.ts'
import { DeferredDriver } from '../kit/deferred-driver.ts'
import { AZURE_CREDENTIALS, AZURE_SETTINGS } from './fields.ts'
import { AZURE_ENDPOINTS } from './endpoints.ts'

/** Azure virtual machines of one subscription, through a service principal. */
export default cloudPlugin('azure', AZURE_ENDPOINTS, (endpoints) => ({
  title: 'Microsoft Azure',
  machineKind: 'vm',
  credentials: AZURE_CREDENTIALS,
  priceSource: 'Azure Retail Prices API: Linux pay-as-you-go (Consumption) hourly, not Spot or Low Priority',
  settings: AZURE_SETTINGS,
  // Azure Resource Manager: 12,000 reads an hour per principal and subscription. A listing reads
  // VMs, NICs and public IPs; ARM chooses its page sizes, so 100 per page is assumed (its least).
  listingBudget: { requestsPerHour: 12_000, machinesPerCall: 100, callsPerListing: 3 },
  // The Azure SDK is loaded with the driver, at a backend's first call (kit/deferred-driver.ts).
  connect: (backend) => new DeferredDriver({ followsOperations: true, tags: true }, async () => new (await import('./azure-driver.ts')).AzureDriver(backend, endpoints))
}))
