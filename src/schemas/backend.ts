import { Type, type Static } from '@sinclair/typebox'
import { DateTime, ShortId, xmlMapNote } from './common.ts'

export const ProviderType = Type.Union(
  (['sandbox', 'ec2', 'azure', 'digitalocean', 'gce', 'docker'] as const).map((p) => Type.Literal(p)),
  { description: 'Cloud provider of the backend' }
)

const Faults = Type.Record(Type.String(), Type.String(), {
  description: 'sandbox only: operation (catalog, list, get, create, start, shutdown, reboot, destroy) -> fault (timeout, unavailable, rate-limited, server-error, credentials-rejected). ' + xmlMapNote
})

/** Credentials and settings of every provider type; each provider says which it needs. */
const providerFields = {
  api_key: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'sandbox: API key (credential, never returned)' })),
  boot_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: 'sandbox: how long a boot takes' })),
  stop_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: 'sandbox: how long a shutdown or destroy takes' })),
  faults: Type.Optional(Faults)
}

export const BackendCreateBody = Type.Object({
  title: Type.String({ minLength: 1, maxLength: 200 }),
  provider: ProviderType,
  ...providerFields
}, { title: 'BackendCreate', additionalProperties: false, xml: { name: 'backend' } })
export type BackendCreateBody = Static<typeof BackendCreateBody>

export const BackendUpdateBody = Type.Object({
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  ...providerFields
}, { title: 'BackendUpdate', additionalProperties: false, minProperties: 1, xml: { name: 'backend' } })
export type BackendUpdateBody = Static<typeof BackendUpdateBody>

export const Backend = Type.Object({
  id: ShortId,
  title: Type.String(),
  provider: ProviderType,
  settings: Type.Record(Type.String(), Type.Unknown(), { description: 'Plain (non-secret) provider settings. ' + xmlMapNote }),
  created_at: DateTime,
  updated_at: DateTime
}, { title: 'Backend', xml: { name: 'backend' }, description: 'A cloud account; its credentials are never returned' })
export type Backend = Static<typeof Backend>

export const BackendList = Type.Array(Backend, { xml: { name: 'backends' } })

export const BackendParams = Type.Object({ backend_id: ShortId })

export const Size = Type.Object({
  id: Type.String(),
  name: Type.String(),
  cpus: Type.Integer(),
  ram: Type.Integer({ description: 'MiB' }),
  disk: Type.Integer({ description: 'GiB' }),
  price: Type.Number({ description: 'Hourly price while running' }),
  currency: Type.String({ description: 'ISO 4217' }),
  fetched_at: Type.String({ format: 'date-time', description: 'When the price was fetched from the provider' })
}, { title: 'Size', xml: { name: 'size' } })
export const SizeList = Type.Array(Size, { xml: { name: 'sizes' } })

export const Image = Type.Object({
  id: Type.String(),
  name: Type.String(),
  extra: Type.Record(Type.String(), Type.Unknown(), { description: xmlMapNote })
}, { title: 'Image', xml: { name: 'image' } })
export const ImageList = Type.Array(Image, { xml: { name: 'images' } })

export const Location = Type.Object({
  id: Type.String(),
  name: Type.String(),
  country: Type.String()
}, { title: 'Location', xml: { name: 'location' } })
export const LocationList = Type.Array(Location, { xml: { name: 'locations' } })
