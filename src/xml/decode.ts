import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { classify, type JsonSchema } from './schema-kind.ts'

/**
 * Reads an untrusted XML request body into the value its JSON Schema describes, so the same
 * TypeBox schema validates JSON and XML bodies alike. Safe by construction: any DOCTYPE is
 * refused (no entity can be declared, so none can expand), only XML's five predefined entities
 * and character references are decoded, and nesting depth is capped.
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
    if (code > 0x10ffff || code === 0) throw new XmlBodyError(`invalid character reference &#${dec ?? 'x' + hex};`)
    return String.fromCodePoint(code)
  })
  // Whatever "&" is left begins a reference that is neither predefined nor declared.
  if (text.replace(REFERENCE, '').includes('&')) throw new XmlBodyError('undeclared entity reference (only &amp; &lt; &gt; &quot; &apos; and &#N; are allowed)')
  return decoded
}

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
    if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) throw new XmlBodyError('DOCTYPE and entity declarations are not allowed')
    const valid = XMLValidator.validate(xml)
    if (valid !== true) throw new XmlBodyError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`)
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

function readValue (schema: JsonSchema, node: XmlNode): unknown {
  if (node.attrs.nil === 'true') return null
  const shape = classify(schema)
  switch (shape.kind) {
    case 'scalar': return readScalar(shape.type, node)
    case 'nullable': return readValue(shape.inner, node)
    case 'any': return readAny(node)
    case 'array': return node.children.length === 0 && node.text.trim() !== '' ? node.text : node.children.map((child) => readValue(shape.items, child))
    case 'map': return readEntries(node, (child) => readValue(shape.values, child))
    case 'object': {
      if (node.children.length === 0 && node.text.trim() !== '') return node.text
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
