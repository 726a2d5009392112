/**
 * How the XML form treats a JSON Schema node. One classification serves the encoder and the
 * decoder, so what one writes the other reads back.
 *   scalar  string/number/integer/boolean (and unions of them) -> element text
 *   object  fixed properties          -> one child element per property
 *   array   items                      -> wrapper element, one <item> (or items.xml.name) per entry
 *   map     additionalProperties/patternProperties only -> <entry key="...">value</entry> per key
 *   any     no type                    -> self-describing: type="number|boolean|object|array"
 *   nullable(inner)  anyOf [inner, null] -> nil="true" for null, else inner
 *   oneOf/anyOf of objects            -> object, with every variant's properties
 */
export type JsonSchema = Record<string, any>

export type SchemaKind =
  | { kind: 'scalar', type: 'string' | 'number' | 'integer' | 'boolean' }
  | { kind: 'object', properties: Array<[string, JsonSchema]> }
  | { kind: 'array', items: JsonSchema, itemName: string }
  | { kind: 'map', values: JsonSchema }
  | { kind: 'nullable', inner: JsonSchema }
  | { kind: 'any' }

const SCALARS = new Set(['string', 'number', 'integer', 'boolean'])

export function classify (schema: JsonSchema): SchemaKind {
  const variants: JsonSchema[] | undefined = schema.anyOf ?? schema.oneOf
  if (variants !== undefined) {
    const nonNull = variants.filter((variant) => variant.type !== 'null')
    if (nonNull.length === 1 && nonNull.length < variants.length) return { kind: 'nullable', inner: nonNull[0]! }
    const types = new Set(nonNull.map((variant) => variant.type))
    if (types.size === 1) {
      const [type] = types
      if (SCALARS.has(type)) return { kind: 'scalar', type }
      // One of several objects (a backend of one provider or another): every variant's
      // properties, the first variant to name a property typing it.
      if (type === 'object' && nonNull.every((variant) => variant.properties !== undefined)) {
        const properties = new Map<string, JsonSchema>()
        for (const variant of nonNull) {
          for (const [name, property] of Object.entries<JsonSchema>(variant.properties)) if (!properties.has(name)) properties.set(name, property)
        }
        return { kind: 'object', properties: [...properties] }
      }
    }
    return { kind: 'any' }
  }
  const type = schema.type
  if (SCALARS.has(type)) return { kind: 'scalar', type }
  if (type === 'array') return { kind: 'array', items: schema.items ?? {}, itemName: schema.items?.xml?.name ?? 'item' }
  if (type === 'object') {
    if (schema.properties !== undefined && Object.keys(schema.properties).length > 0) {
      return { kind: 'object', properties: Object.entries(schema.properties) }
    }
    // A map's values: its one pattern's schema, else additionalProperties when that is a schema.
    const values = Object.values(schema.patternProperties ?? {})[0] ?? schema.additionalProperties
    return { kind: 'map', values: typeof values === 'object' ? values : {} }
  }
  return { kind: 'any' }
}

/** The element name of a document's root: the schema's xml.name, else a neutral "response". */
export const rootNameOf = (schema: JsonSchema | undefined): string => schema?.xml?.name ?? 'response'
