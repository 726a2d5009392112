import { scrubText } from '../domain/text.ts'
import { classify, rootNameOf, type JsonSchema } from './schema-kind.ts'

/**
 * Renders a value as XML shaped by its JSON Schema, compiled once per schema (like
 * fast-json-stringify does for JSON): only the schema's properties are written, in its order,
 * so XML never carries a field that JSON drops.
 */
type Encode = (tag: string, attrs: string, value: unknown) => string

const MARKUP = /[&<>"']/
const MARKUP_ALL = /[&<>"']/g
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }

/**
 * Escapes text and attribute values. Characters XML 1.0 cannot carry (controls, U+FFFE, U+FFFF,
 * unpaired surrogates; src/domain/text.ts) become U+FFFD, so no text, whether a client's or a
 * provider's, can make an answer that is not well-formed.
 */
export function escapeXml (text: string): string {
  const clean = scrubText(text)
  return MARKUP.test(clean) ? clean.replace(MARKUP_ALL, (c) => ESCAPES[c]!) : clean
}

// A value of another shape than its schema says (never from this server's own answers, which
// are shaped by their schemas) is written in the self-describing form rather than breaking.
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)

const nil = (tag: string, attrs: string): string => `<${tag}${attrs} nil="true"/>`

const scalarText = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : escapeXml(String(value))

const encodeScalar: Encode = (tag, attrs, value) =>
  value === null || value === undefined ? nil(tag, attrs) : `<${tag}${attrs}>${scalarText(value)}</${tag}>`

/** Untyped values describe their own type, so they read back as what was written. */
const encodeAny: Encode = (tag, attrs, value) => {
  if (value === null || value === undefined) return nil(tag, attrs)
  if (typeof value === 'string') return `<${tag}${attrs}>${escapeXml(value)}</${tag}>`
  if (typeof value === 'number' || typeof value === 'boolean') return `<${tag}${attrs} type="${typeof value}">${String(value)}</${tag}>`
  if (value instanceof Date) return `<${tag}${attrs}>${value.toISOString()}</${tag}>`
  if (Array.isArray(value)) {
    let out = `<${tag}${attrs} type="array">`
    for (const item of value) out += encodeAny('item', '', item)
    return out + `</${tag}>`
  }
  let out = `<${tag}${attrs} type="object">`
  for (const [key, item] of Object.entries(value as object)) out += encodeAny('entry', ` key="${escapeXml(key)}"`, item)
  return out + `</${tag}>`
}

const cache = new WeakMap<JsonSchema, Encode>()

function compile (schema: JsonSchema): Encode {
  const cached = cache.get(schema)
  if (cached !== undefined) return cached
  // Placeholder first, so recursive schemas find themselves while compiling.
  let compiled: Encode = (tag, attrs, value) => compiled(tag, attrs, value)
  cache.set(schema, (tag, attrs, value) => compiled(tag, attrs, value))
  compiled = build(schema)
  cache.set(schema, compiled)
  return compiled
}

function build (schema: JsonSchema): Encode {
  const shape = classify(schema)
  switch (shape.kind) {
    case 'scalar': return encodeScalar
    case 'any': return encodeAny
    case 'nullable': {
      const inner = compile(shape.inner)
      return (tag, attrs, value) => value === null || value === undefined ? nil(tag, attrs) : inner(tag, attrs, value)
    }
    case 'array': {
      const item = compile(shape.items)
      const itemName = shape.itemName
      return (tag, attrs, value) => {
        if (value === null || value === undefined) return nil(tag, attrs)
        if (!Array.isArray(value)) return encodeAny(tag, attrs, value)
        let out = `<${tag}${attrs}>`
        for (const entry of value) out += item(itemName, '', entry)
        return out + `</${tag}>`
      }
    }
    case 'map': {
      const entry = compile(shape.values)
      return (tag, attrs, value) => {
        if (value === null || value === undefined) return nil(tag, attrs)
        if (!isRecord(value)) return encodeAny(tag, attrs, value)
        let out = `<${tag}${attrs}>`
        for (const key in value) {
          out += entry('entry', ` key="${escapeXml(key)}"`, value[key])
        }
        return out + `</${tag}>`
      }
    }
    case 'object': {
      const children = shape.properties.map(([name, child]) => [name, compile(child)] as const)
      return (tag, attrs, value) => {
        if (value === null || value === undefined) return nil(tag, attrs)
        if (!isRecord(value)) return encodeAny(tag, attrs, value)
        let out = `<${tag}${attrs}>`
        for (const [name, child] of children) {
          const field = value[name]
          if (field !== undefined) out += child(name, '', field)
        }
        return out + `</${tag}>`
      }
    }
  }
}

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

/** A whole XML document for `value`, with the schema's xml.name as the root element. */
export function toXml (schema: JsonSchema | undefined, value: unknown): string {
  if (schema === undefined) return DECLARATION + encodeAny('response', '', value)
  return DECLARATION + compile(schema)(rootNameOf(schema), '', value)
}
