import { Type, type TProperties, type TSchema } from '@sinclair/typebox'
import type { ProviderDefinition } from '../providers/driver.ts'
import type { BackendCreateBody, BackendUpdateBody } from './backend.ts'
import { Title } from './backend.ts'
import { MachineCreateFields, type MachineCreateBody } from './mist-machine.ts'

/**
 * The request bodies whose fields depend on the providers this server has loaded, built from the
 * providers' own definitions when the routes are registered: one source for each rule, stated in
 * the API document where generated clients and fuzzers read it.
 */
type Definitions = ReadonlyArray<readonly [string, ProviderDefinition]>

const pascal = (type: string): string => type.replace(/(^|[-_])(\w)/g, (_, __, letter: string) => letter.toUpperCase())
const enabled = Type.Optional(Type.Boolean({ description: 'false adds the backend disabled (default true)' }))

/** POST /backends: one branch per provider, chosen by `provider` (oneOf with a discriminator). */
export function backendCreateBody (definitions: Definitions): TSchema {
  const variants = definitions.map(([type, definition]) => Type.Object({
    title: Title,
    provider: Type.Literal(type),
    enabled,
    ...definition.credentials,
    ...definition.settings
  }, { title: `BackendCreate${pascal(type)}`, additionalProperties: false, xml: { name: 'backend' }, description: `A ${definition.title} backend` }))
  return Type.Unsafe<BackendCreateBody>({
    // Ajv's discriminator looks only at objects: the container says it must be one.
    type: 'object',
    required: ['provider'],
    oneOf: variants,
    discriminator: { propertyName: 'provider' },
    title: 'BackendCreate',
    xml: { name: 'backend' },
    description: 'title, provider, and that provider\'s credentials and settings (GET /providers lists them)'
  })
}

/** Every field any loaded provider takes, optional: a change names only what changes. */
function everyProviderField (definitions: Definitions, pick: (definition: ProviderDefinition) => TProperties | undefined): TProperties {
  const fields: TProperties = {}
  for (const [, definition] of definitions) {
    for (const [name, schema] of Object.entries(pick(definition) ?? {})) fields[name] ??= Type.Optional(schema)
  }
  return fields
}

/**
 * PUT /backends/{id}: the backend's provider is not in the body, so each provider's fields are
 * optional here; a field of another provider than the backend's is refused with 422.
 */
export function backendUpdateBody (definitions: Definitions): TSchema {
  return Type.Unsafe<BackendUpdateBody>(Type.Object({
    title: Type.Optional(Title),
    new_name: Type.Optional({ ...Title, description: 'The same as title (mist.io\'s rename)' }),
    enabled,
    ...everyProviderField(definitions, (definition) => ({ ...definition.credentials, ...definition.settings }))
  }, { title: 'BackendUpdate', additionalProperties: false, minProperties: 1, xml: { name: 'backend' }, description: 'Given fields replace the stored ones; credentials not given are kept' }))
}

/** POST /backends/{id}/machines: the shared fields and those each loaded provider adds. */
export function machineCreateBody (definitions: Definitions): TSchema {
  return Type.Unsafe<MachineCreateBody>(Type.Object({
    ...MachineCreateFields,
    ...everyProviderField(definitions, (definition) => definition.machineFields)
  }, { title: 'MachineCreate', additionalProperties: false, xml: { name: 'machine' } }))
}
