import fp from 'fastify-plugin'
import { AzureDriver, type AzureEndpoints } from './azure-driver.ts'
import { AZURE_CREDENTIALS, AZURE_SETTINGS } from './fields.ts'

/** Azure virtual machines of one subscription, through a service principal. */
export default fp<AzureEndpoints>(async function azureProvider (app, endpoints) {
  app.providers.define('azure', {
    title: 'Microsoft Azure',
    machineKind: 'vm',
    credentials: AZURE_CREDENTIALS,
    settings: AZURE_SETTINGS,
    connect: (backend) => new AzureDriver(backend, {
      authorityHost: endpoints.authorityHost, resourceManagerUrl: endpoints.resourceManagerUrl, pricesUrl: endpoints.pricesUrl
    })
  })
}, { name: 'provider-azure', dependencies: ['providers'] })
