import { Type, type Static } from '@sinclair/typebox'
import { DateTime, ShortId, xmlMapNote } from './common.ts'

/** The static shape of the backend bodies built from the loaded providers (src/schemas/provider-bodies.ts). */
export interface BackendCreateBody { title: string, provider: string, enabled?: boolean, [field: string]: unknown }
export interface BackendUpdateBody { title?: string, new_name?: string, enabled?: boolean, [field: string]: unknown }

export const Title = Type.String({ minLength: 1, maxLength: 200 })

export const Backend = Type.Object({
  id: ShortId,
  title: Type.String(),
  provider: Type.String({ description: 'The backend\'s provider type (GET /providers lists those this server has loaded)' }),
  enabled: Type.Boolean({ description: 'A disabled backend is neither synced nor polled, and its machines refuse actions (409)' }),
  settings: Type.Record(Type.String(), Type.Unknown(), { description: 'Plain (non-secret) provider settings. ' + xmlMapNote }),
  credentials_status: Type.Union([Type.Literal('ok'), Type.Literal('rejected')], {
    description: 'rejected: the cloud refused the credentials (401/403) on its last call; calls answer 502 provider-credentials-rejected until they work again (update the credentials with PUT)'
  }),
  credentials_error: Type.Union([Type.String(), Type.Null()], { description: 'What the cloud said when it refused them' }),
  credentials_rejected_at: Type.Union([DateTime, Type.Null()]),
  created_at: DateTime,
  updated_at: DateTime
}, { title: 'Backend', xml: { name: 'backend' }, description: 'A cloud account; its credentials are never returned' })
export type Backend = Static<typeof Backend>

export const BackendList = Type.Array(Backend, { xml: { name: 'backends' } })

export const BackendParams = Type.Object({ backend_id: ShortId })

/** mist.io's enable/disable: POST /backends/{id} {"new_state": "1"} or "0". */
export const BackendStateBody = Type.Object({
  new_state: Type.Union([Type.Literal('0'), Type.Literal('1')], { description: '"1" enables the backend, "0" disables it' })
}, { title: 'BackendState', additionalProperties: false, xml: { name: 'backend' } })

export const ProviderField = Type.Object({
  name: Type.String(),
  required: Type.Boolean(),
  credential: Type.Boolean({ description: 'Sealed at rest and never answered' }),
  description: Type.String()
}, { title: 'ProviderField', xml: { name: 'field' } })

export const ProviderInfo = Type.Object({
  provider: Type.String({ description: 'The backend type, for POST /backends' }),
  title: Type.String(),
  machine_kind: Type.String({ description: 'The machine API\'s default kind for its machines' }),
  fields: Type.Array(ProviderField, { description: 'The fields a backend of this provider takes besides title and provider' })
}, { title: 'ProviderInfo', xml: { name: 'provider' } })

export const ProviderList = Type.Object({
  supported_providers: Type.Array(ProviderInfo, { xml: { name: 'supported_providers' } })
}, { title: 'ProviderList', xml: { name: 'providers' } })

export const Size = Type.Object({
  id: Type.String(),
  name: Type.String(),
  cpus: Type.Integer(),
  ram: Type.Integer({ description: 'MiB' }),
  disk: Type.Integer({ description: 'GiB' }),
  price: Type.Union([Type.Number(), Type.Null()], { description: 'Hourly price while running; null when the provider publishes none for this size (never 0)' }),
  currency: Type.Union([Type.String(), Type.Null()], { description: 'ISO 4217; null with a null price' }),
  fetched_at: Type.String({ format: 'date-time', description: 'When the price was fetched from the provider' }),
  price_source: Type.Union([Type.String(), Type.Null()], { description: 'Where the provider\'s prices come from (its price API or list, and which of its prices); null when this server has not loaded the provider' }),
  unsupported_actions: Type.Array(Type.String({ xml: { name: 'action' } }), { description: 'Actions machines of this size can never do (422 action-not-supported), e.g. spot sizes cannot shutdown or start; empty when this server has not loaded the provider' })
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
