import fp from 'fastify-plugin'
import { AzureDriver } from './azure-driver.ts'
import { AZURE_CREDENTIALS, AZURE_SETTINGS } from './fields.ts'
import { AZURE_ENDPOINTS, readAzureEndpoints } from './endpoints.ts'
import type { ProviderPluginOptions } from '../driver.ts'

/** Azure virtual machines of one subscription, through a service principal. */
export default fp<ProviderPluginOptions>(async function azureProvider (app, options) {
  const endpoints = readAzureEndpoints(options.env)
  app.providers.define('azure', {
    title: 'Microsoft Azure',
    machineKind: 'vm',
    credentials: AZURE_CREDENTIALS,
    settings: AZURE_SETTINGS,
    endpoints: AZURE_ENDPOINTS,
    // Azure Resource Manager: 12,000 reads an hour per principal and subscription. A listing reads
    // VMs, NICs and public IPs; ARM chooses its page sizes, so 100 per page is assumed (its least).
    listingBudget: { requestsPerHour: 12_000, machinesPerCall: 100, callsPerListing: 3 },
    connect: (backend) => new AzureDriver(backend, endpoints)
  })
}, { name: 'provider-azure', dependencies: ['providers'] })
