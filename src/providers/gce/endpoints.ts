import type { EndpointSpec, Endpoints } from '../kit/endpoints.ts'

export const GCE_ENDPOINTS = {
  compute: { env: 'GCE_API_ENDPOINT', default: 'https://compute.googleapis.com', description: 'The Compute Engine API (REST), a full URL' }
} as const satisfies Record<string, EndpointSpec>

export type GceEndpoints = Endpoints<typeof GCE_ENDPOINTS>
