import type { EndpointSpec, Endpoints } from '../kit/endpoints.ts'

export const AZURE_ENDPOINTS = {
  authorityHost: { env: 'AZURE_AUTHORITY_HOST', default: 'https://login.microsoftonline.com', description: 'Microsoft Entra ID, where the service principal signs in' },
  resourceManagerUrl: { env: 'AZURE_RESOURCE_MANAGER_URL', default: 'https://management.azure.com', description: 'Azure Resource Manager' },
  pricesUrl: { env: 'AZURE_PRICES_URL', default: 'https://prices.azure.com/api/retail/prices', description: 'The Azure Retail Prices API (public, no sign-in)' }
} as const satisfies Record<string, EndpointSpec>

export type AzureEndpoints = Endpoints<typeof AZURE_ENDPOINTS>
