import { Type } from '@sinclair/typebox'

const GUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

/** An Azure backend's fields: a service principal (credentials) and where new VMs go (settings). */
export const AZURE_CREDENTIALS = {
  tenant_id: Type.String({ pattern: GUID, maxLength: 36, description: 'The Microsoft Entra tenant (directory) id of the service principal' }),
  client_id: Type.String({ pattern: GUID, maxLength: 36, description: 'The service principal\'s application (client) id' }),
  client_secret: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[\\x20-\\x7e]+$', description: 'The service principal\'s client secret (a credential, never returned)' })
}

export const AZURE_SETTINGS = {
  subscription_id: Type.String({ pattern: GUID, maxLength: 36, description: 'The subscription whose VMs the backend lists (all resource groups)' }),
  resource_group: Type.String({ minLength: 1, maxLength: 90, pattern: '^[-\\w.()]*[-\\w()]$', description: 'An existing resource group where new VMs, their NICs, public IPs and disks go' }),
  region: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9]+$', description: 'The region (e.g. westeurope) of new VMs, of the sizes listed and of their prices' }),
  images: Type.Optional(Type.Array(Type.String({ pattern: '^[^:\\s]+:[^:\\s]+:[^:\\s]+:[^:\\s]+$', maxLength: 256 }), {
    maxItems: 50, description: 'More marketplace images (publisher:offer:sku:version) to list besides the documented set'
  }))
}
