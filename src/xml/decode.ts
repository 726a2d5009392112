import { XMLParser } from 'fast-xml-parser'
import { isXmlCharacter } from '../domain/text.ts'
import { classify, type JsonSchema } from './schema-kind.ts'
import { scanXml, XmlScanError } from './scan.ts'

/**
 * Reads an untrusted XML request body into the value its JSON Schema describes, so the same
 * TypeBox schema validates JSON and XML bodies alike. Safe by construction: one cheap scan
 * (src/xml/scan.ts) refuses any DOCTYPE (no entity can be declared, so none can expand), broken
 * documents, characters XML cannot carry, nesting deeper than maxDepth and texts longer than the
 * schema's longest field, before the one parse; only XML's five predefined entities and character
 * references of XML characters are decoded.
 */
export class XmlBodyError extends Error {}

interface XmlNode { name: string, attrs: Record<string, string>, children: XmlNode[], text: string }

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
const REFERENCE = /&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g

function decodeEntities (text: string): string {
  if (!text.includes('&')) return text
  const decoded = text.replace(REFERENCE, (_, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (name !== undefined) return PREDEFINED[name]!
    const code = dec !== undefined ? Number(dec) : Number.parseInt(hex!, 16)
    // A reference may only name a character the document could hold itself (no &#0; or &#xFFFE;).
    if (!isXmlCharacter(code)) throw new XmlBodyError(`invalid character reference &#${dec ?? 'x' + hex}; (not an XML character)`)
    return String.fromCodePoint(code)
  })
  // Whatever "&" is left begins a reference that is neither predefined nor declared.
  if (text.replace(REFERENCE, '').includes('&')) throw new XmlBodyError('undeclared entity reference (only &amp; &lt; &gt; &quot; &apos; and &#N; are allowed)')
  return decoded
}

// No number or boolean worth reading is longer; nor is the whitespace between elements, within reason.
const SCALAR_TEXT = 256

/** How long a text this one schema node takes: its maxLength, longest enum or const value. */
function textBound (node: JsonSchema): number {
  if (typeof node.maxLength === 'number') return node.maxLength
  if (Array.isArray(node.enum)) return Math.max(0, ...node.enum.map((value) => String(value).length))
  if (node.const !== undefined) return String(node.const).length
  return node.type === 'string' ? Infinity : SCALAR_TEXT
}

/**
 * The longest text any field of the schema takes (its largest maxLength, or enum value), so a
 * longer text is refused by the scan before parsing; unbounded when some string field has no
 * bound (tests/plugins/hostile-input.test.ts keeps every body schema bounded).
 */
export function longestText (schema: JsonSchema | undefined): number {
  let longest = SCALAR_TEXT
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return
    if (Array.isArray(node)) { node.forEach(visit); return }
    const object = node as JsonSchema
    if (['string', 'number', 'integer', 'boolean'].includes(object.type as string)) longest = Math.max(longest, textBound(object))
    for (const value of Object.values(object)) visit(value)
  }
  visit(schema)
  return longest
}
const longestTextOf = new WeakMap<JsonSchema, number>()

export function createXmlReader (options: { maxDepth: number }) {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: false,
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    maxNestedTags: options.maxDepth
  })

  function toNode (raw: Record<string, any>): XmlNode | null {
    const name = Object.keys(raw).find((key) => key !== ':@')!
    if (name === '#text') return null
    if (FORBIDDEN_KEYS.has(name)) throw new XmlBodyError(`element name <${name}> is not allowed`)
    const attrs: Record<string, string> = {}
    for (const [key, value] of Object.entries(raw[':@'] ?? {})) attrs[key] = decodeEntities(String(value))
    const children: XmlNode[] = []
    let text = ''
    for (const child of raw[name] as Array<Record<string, any>>) {
      if ('#text' in child) text += decodeEntities(String(child['#text']))
      else {
        const node = toNode(child)
        if (node !== null) children.push(node)
      }
    }
    return { name, attrs, children, text }
  }

  /** Parses a document; returns its root element's value read with `schema`. */
  return function read (xml: string, schema: JsonSchema | undefined): unknown {
    let maxText = schema === undefined ? Infinity : longestTextOf.get(schema)
    if (maxText === undefined) {
      maxText = longestText(schema)
      longestTextOf.set(schema!, maxText)
    }
    try {
      scanXml(xml, { maxDepth: options.maxDepth, maxText })
    } catch (error) {
      if (error instanceof XmlScanError) throw new XmlBodyError(`not well-formed or not acceptable XML: ${error.message}`)
      throw error
    }
    let parsed: Array<Record<string, any>>
    try {
      parsed = parser.parse(xml)
    } catch (error) {
      throw new XmlBodyError(`XML cannot be read: ${(error as Error).message}`)
    }
    const roots = parsed.map(toNode).filter((node) => node !== null)
    if (roots.length !== 1) throw new XmlBodyError('an XML body must have exactly one root element')
    return readValue(schema ?? {}, roots[0]!)
  }
}

const NUMBER = /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/

function readScalar (type: string, node: XmlNode): unknown {
  // An element where text was expected is passed on as an object, for validation to name it.
  if (node.children.length > 0) return readAny(node)
  if (type === 'string') return node.text
  if (type === 'boolean') {
    const text = node.text.trim()
    return text === 'true' ? true : text === 'false' ? false : node.text
  }
  return NUMBER.test(node.text) ? Number(node.text) : node.text
}

/** Arrays, maps and objects hold elements only; stray text would otherwise vanish unnoticed. */
function refuseText (node: XmlNode): void {
  if (node.text.trim() !== '') throw new XmlBodyError(`<${node.name}> holds elements, not text`)
}

function readValue (schema: JsonSchema, node: XmlNode): unknown {
  // null goes on to validation, which refuses it wherever the schema does not allow null.
  if (node.attrs.nil === 'true') return null
  const shape = classify(schema)
  switch (shape.kind) {
    case 'scalar': return readScalar(shape.type, node)
    case 'nullable': return readValue(shape.inner, node)
    case 'any': return readAny(node)
    case 'array':
      refuseText(node)
      return node.children.map((child) => readValue(shape.items, child))
    case 'map':
      refuseText(node)
      return readEntries(node, (child) => readValue(shape.values, child))
    case 'object': {
      refuseText(node)
      const properties = new Map(shape.properties)
      const value: Record<string, unknown> = {}
      for (const child of node.children) {
        if (Object.hasOwn(value, child.name)) throw new XmlBodyError(`element <${child.name}> appears more than once in <${node.name}>`)
        const property = properties.get(child.name)
        // Unknown elements are kept, so validation reports them like unknown JSON properties.
        value[child.name] = property !== undefined ? readValue(property, child) : readAny(child)
      }
      return value
    }
  }
}

function readEntries (node: XmlNode, readEntry: (child: XmlNode) => unknown): Record<string, unknown> {
  const value: Record<string, unknown> = {}
  for (const child of node.children) {
    const key = child.attrs.key
    if (child.name !== 'entry' || key === undefined) throw new XmlBodyError(`<${node.name}> holds <entry key="..."> elements only`)
    if (FORBIDDEN_KEYS.has(key)) throw new XmlBodyError(`key "${key}" is not allowed`)
    if (Object.hasOwn(value, key)) throw new XmlBodyError(`key "${key}" appears more than once in <${node.name}>`)
    value[key] = readEntry(child)
  }
  return value
}

/** Without a schema, the type attribute written by the encoder says what a value is. */
function readAny (node: XmlNode): unknown {
  if (node.attrs.nil === 'true') return null
  switch (node.attrs.type) {
    case 'number': return NUMBER.test(node.text) ? Number(node.text) : node.text
    case 'boolean': return node.text === 'true' ? true : node.text === 'false' ? false : node.text
    case 'array': return node.children.map(readAny)
    case 'object': return readEntries(node, readAny)
  }
  if (node.children.length === 0) return node.text
  const value: Record<string, unknown> = {}
  for (const child of node.children) {
    if (Object.hasOwn(value, child.name)) throw new XmlBodyError(`element <${child.name}> appears more than once in <${node.name}>`)
    value[child.name] = readAny(child)
  }
  return value
}
