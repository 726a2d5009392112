import fp from 'fastify-plugin'
import { DigitalOceanDriver } from './digitalocean-driver.ts'
import { DIGITALOCEAN_CREDENTIALS, DIGITALOCEAN_SETTINGS } from './fields.ts'

/** DigitalOcean droplets, through digitalocean-js, at DIGITALOCEAN_API_URL. */
export default fp<{ apiUrl: string }>(async function digitaloceanProvider (app, options) {
  app.providers.define('digitalocean', {
    title: 'DigitalOcean',
    machineKind: 'vm',
    credentials: DIGITALOCEAN_CREDENTIALS,
    settings: DIGITALOCEAN_SETTINGS,
    connect: (backend) => new DigitalOceanDriver(backend, options.apiUrl)
  })
}, { name: 'provider-digitalocean', dependencies: ['providers'] })
