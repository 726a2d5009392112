import { FORBIDDEN_CHARACTER } from '../domain/text.ts'

/**
 * One pass over an untrusted XML body, before anything parses it. fast-xml-parser alone accepts
 * broken documents (mismatched or unclosed tags, unquoted attributes, text outside the root), and
 * its validator is a second full pass that costs 10-20 times a JSON parse on a hostile body. This
 * scan checks well-formedness for the XML this API reads and stops at the first thing it refuses:
 * a DOCTYPE or other declaration, an element deeper than maxDepth, a text longer than maxText
 * characters (the longest valid field), or a character XML or PostgreSQL cannot hold. So refusing a
 * hostile body costs at most one pass up to the point where it is refused.
 */
export class XmlScanError extends Error {}

export interface ScanLimits { maxDepth: number, maxText: number }

// Element and attribute names: XML's Name production, ASCII letters only (every element this API
// reads is a schema property name; anything else would be refused by validation anyway).
const START_TAG = /<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/y
const END_TAG = /<\/([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*>/y
const ATTRIBUTE_NAME = /([A-Za-z_][\w.:-]*)\s*=/g
const REFERENCE = /&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z_][\w.-]{0,31});/g

/** The length a text will have once its references are decoded (each stands for one character). */
function decodedLength (text: string): number {
  let length = text.length
  if (text.includes('&')) for (const reference of text.matchAll(REFERENCE)) length -= reference[0].length - 1
  return length
}

function attributesOf (raw: string): void {
  if (raw === '') return
  const seen = new Set<string>()
  for (const [, name] of raw.matchAll(ATTRIBUTE_NAME)) {
    if (seen.has(name!)) throw new XmlScanError(`attribute ${name!} appears twice`)
    seen.add(name!)
  }
}

export function scanXml (xml: string, limits: ScanLimits): void {
  const forbidden = FORBIDDEN_CHARACTER.exec(xml)
  if (forbidden !== null) {
    throw new XmlScanError(`character U+${forbidden[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at offset ${forbidden.index} cannot be carried by XML`)
  }
  const open: string[] = []
  let roots = 0
  let text = 0
  let position = 0
  const countText = (length: number): void => {
    text += length
    if (text > limits.maxText) throw new XmlScanError(`a text is longer than ${limits.maxText} characters, the longest any field takes`)
  }
  while (position < xml.length) {
    const next = xml.indexOf('<', position)
    const end = next === -1 ? xml.length : next
    if (end > position) {
      const segment = xml.slice(position, end)
      if (open.length === 0) {
        if (segment.trim() !== '') throw new XmlScanError('text outside the root element')
      } else {
        countText(segment.length <= limits.maxText ? segment.length : decodedLength(segment))
      }
    }
    if (next === -1) break
    position = next
    if (xml.startsWith('<!--', position)) {
      const close = xml.indexOf('-->', position + 4)
      if (close === -1) throw new XmlScanError('unclosed comment')
      position = close + 3
    } else if (xml.startsWith('<![CDATA[', position)) {
      if (open.length === 0) throw new XmlScanError('CDATA outside the root element')
      const close = xml.indexOf(']]>', position + 9)
      if (close === -1) throw new XmlScanError('unclosed CDATA section')
      countText(close - position - 9)
      position = close + 3
    } else if (xml.startsWith('<?', position)) {
      const close = xml.indexOf('?>', position + 2)
      if (close === -1) throw new XmlScanError('unclosed processing instruction')
      position = close + 2
    } else if (xml.startsWith('<!', position)) {
      throw new XmlScanError('DOCTYPE and entity declarations are not allowed')
    } else if (xml.startsWith('</', position)) {
      END_TAG.lastIndex = position
      const match = END_TAG.exec(xml)
      if (match === null) throw new XmlScanError(`malformed end tag at offset ${position}`)
      const expected = open.pop()
      if (expected !== match[1]) throw new XmlScanError(`</${match[1]!}> does not close <${expected ?? ''}>`)
      text = 0
      position = END_TAG.lastIndex
    } else {
      START_TAG.lastIndex = position
      const match = START_TAG.exec(xml)
      if (match === null) throw new XmlScanError(`malformed start tag at offset ${position}`)
      attributesOf(match[2]!)
      if (open.length === 0 && ++roots > 1) throw new XmlScanError('an XML body must have exactly one root element')
      if (match[3] !== '/') {
        open.push(match[1]!)
        if (open.length > limits.maxDepth) throw new XmlScanError(`elements are nested deeper than ${limits.maxDepth}`)
      }
      text = 0
      position = START_TAG.lastIndex
    }
  }
  if (open.length > 0) throw new XmlScanError(`<${open.at(-1)!}> is never closed`)
  if (roots === 0) throw new XmlScanError('an XML body must have exactly one root element')
}
