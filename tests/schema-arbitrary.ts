import fc from 'fast-check'

/**
 * Values valid under a JSON Schema of the API document (the subset it uses: $ref, oneOf, objects
 * with required and optional properties, patternProperties maps, arrays, strings with pattern,
 * length and format, integers with bounds, booleans, null, const and enum), for the fuzz test's
 * property that a body the document accepts is never refused as invalid (400).
 */
type Schema = Record<string, any>

export function arbitraryOf (schema: Schema, components: Record<string, Schema>): fc.Arbitrary<unknown> {
  if (schema.$ref !== undefined) return fc.constant(null).chain(() => arbitraryOf(components[String(schema.$ref).split('/').pop()!]!, components))
  if (schema.oneOf !== undefined || schema.anyOf !== undefined) {
    return fc.oneof(...(schema.oneOf ?? schema.anyOf).map((branch: Schema) => arbitraryOf(branch, components)))
  }
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum)
  switch (schema.type) {
    case 'null': return fc.constant(null)
    case 'boolean': return fc.boolean()
    case 'integer': return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000 })
    case 'number': return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true })
    case 'string': return stringOf(schema)
    case 'array': return fc.array(arbitraryOf(schema.items ?? {}, components), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) })
    case 'object': {
      if (schema.properties === undefined || Object.keys(schema.properties).length === 0) {
        const [pattern, values] = Object.entries<Schema>(schema.patternProperties ?? {})[0] ?? []
        if (pattern !== undefined) return fc.dictionary(fc.stringMatching(new RegExp(pattern, 'u')), arbitraryOf(values!, components), { maxKeys: 3 })
        // A map as the document writes it: any key its propertyNames admit (any key, without them).
        if (schema.additionalProperties === undefined || typeof schema.additionalProperties !== 'object') return fc.constant({})
        const names = schema.propertyNames ?? {}
        const keys = names.enum !== undefined ? fc.constantFrom(...names.enum as string[]) : stringOf({ minLength: 1, ...names })
        return fc.dictionary(keys, arbitraryOf(schema.additionalProperties, components), { maxKeys: 3 })
      }
      const required = new Set<string>(schema.required ?? [])
      const entries = Object.entries<Schema>(schema.properties)
      return fc.record(Object.fromEntries(entries.map(([name, property]) => [name, arbitraryOf(property, components)])), {
        requiredKeys: entries.map(([name]) => name).filter((name) => required.has(name))
      })
    }
  }
  return fc.jsonValue({ maxDepth: 2 })
}

function stringOf (schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0
  const max = schema.maxLength ?? 64
  const fits = (text: string): boolean => [...text].length >= min && text.length <= max
  switch (schema.format) {
    case 'date-time': return fc.date({ min: new Date(Date.now() + 86_400_000), max: new Date('2099-12-31'), noInvalidDate: true }).map((date) => date.toISOString())
    case 'uuid': return fc.uuid()
    case 'ipv4': return fc.ipV4()
    case 'uri': case 'uri-reference': return fc.webUrl()
  }
  if (schema.pattern !== undefined) return fc.stringMatching(new RegExp(schema.pattern, 'u')).filter(fits)
  return fc.string({ minLength: min, maxLength: Math.min(max, 64) })
}
