import type { EndpointSpec } from '../kit/endpoints.ts'

export const DIGITALOCEAN_ENDPOINTS = {
  apiUrl: { env: 'DIGITALOCEAN_API_URL', default: 'https://api.digitalocean.com/v2', description: 'The DigitalOcean API, version 2' }
} as const satisfies Record<string, EndpointSpec>
