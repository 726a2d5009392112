import fp from 'fastify-plugin'
import { DigitalOceanDriver } from './digitalocean-driver.ts'
import { DIGITALOCEAN_CREDENTIALS, DIGITALOCEAN_SETTINGS } from './fields.ts'
import { DIGITALOCEAN_ENDPOINTS, readDigitalOceanEndpoints } from './endpoints.ts'
import type { ProviderPluginOptions } from '../driver.ts'

/** DigitalOcean droplets, through digitalocean-js, at DIGITALOCEAN_API_URL. */
export default fp<ProviderPluginOptions>(async function digitaloceanProvider (app, options) {
  const endpoints = readDigitalOceanEndpoints(options.env)
  app.providers.define('digitalocean', {
    title: 'DigitalOcean',
    machineKind: 'vm',
    credentials: DIGITALOCEAN_CREDENTIALS,
    settings: DIGITALOCEAN_SETTINGS,
    endpoints: DIGITALOCEAN_ENDPOINTS,
    // docs.digitalocean.com/reference/api: 5,000 requests an hour per token; pages of at most 200.
    listingBudget: { requestsPerHour: 5000, machinesPerCall: 200, callsPerListing: 1 },
    connect: (backend) => new DigitalOceanDriver(backend, endpoints.apiUrl)
  })
}, { name: 'provider-digitalocean', dependencies: ['providers'] })
