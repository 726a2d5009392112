import { createHash } from 'node:crypto'

/**
 * GCE's naming rules, and how Stratus's names and tags fit them. An instance name and a label key
 * are `[a-z]([-a-z0-9]*[a-z0-9])?` (a key may hold `_` too), at most 63 characters; a label value
 * is `[-_a-z0-9]*`, at most 63 (cloud.google.com/compute/docs/labeling-resources).
 */

const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/
const LABEL_KEY = /^[a-z][-_a-z0-9]{0,62}$/
const LABEL_VALUE = /^[-_a-z0-9]{0,63}$/

/**
 * The instance name for a machine name: the name itself where GCE takes it; otherwise made valid
 * (lower case, other characters as hyphens) and made unique by a piece of the create's uuid, since
 * two names may fold into one ("Web 1", "web-1"). The original is kept in the description.
 */
export function instanceNameOf (name: string, clientToken: string): string {
  if (NAME.test(name)) return name
  const folded = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+/, '').slice(0, 52).replace(/-+$/, '')
  const suffix = clientToken.replace(/-/g, '').slice(0, 8)
  return `${folded === '' ? 'machine' : folded}-${suffix}`
}

/**
 * A Stratus tag as a GCE label. `key=value` whose parts are a valid key and value, or a tag that is
 * a valid key by itself (a label with an empty value), stays readable as it is. Any other tag (the
 * document's "Backup Machine") is kept whole in the value, escaped (`_x` an upper-case X, `__hh` a
 * UTF-8 byte), under a key that names it: a readable slug and a hash of the tag, by which it is
 * told from a label someone set by hand. Null: too long to be a label.
 */
export function labelOf (tag: string): { key: string, value: string } | null {
  const at = tag.indexOf('=')
  if (at > 0 && LABEL_KEY.test(tag.slice(0, at)) && LABEL_VALUE.test(tag.slice(at + 1))) return { key: tag.slice(0, at), value: tag.slice(at + 1) }
  if (LABEL_KEY.test(tag)) return { key: tag, value: '' }
  const value = escapeTag(tag)
  return value.length > 63 ? null : { key: escapedKeyOf(tag), value }
}

/** A label as the Stratus tag it came from (labelOf's inverse); a label set by hand reads as `key=value`, or `key` when its value is empty. */
export function tagOf (key: string, value: string): string {
  const escaped = unescapeTag(value)
  if (escaped !== null && escapedKeyOf(escaped) === key) return escaped
  return value === '' ? key : `${key}=${value}`
}

function escapedKeyOf (tag: string): string {
  const slug = tag.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^[^a-z]+/, '').slice(0, 40).replace(/_+$/, '')
  return `${slug === '' ? 'tag' : slug}-${createHash('sha256').update(tag).digest('hex').slice(0, 10)}`
}

function escapeTag (tag: string): string {
  let out = ''
  for (const char of tag) {
    if (/[-a-z0-9]/.test(char)) out += char
    else if (/[A-Z]/.test(char)) out += `_${char.toLowerCase()}`
    else out += [...Buffer.from(char, 'utf8')].map((byte) => `__${byte.toString(16).padStart(2, '0')}`).join('')
  }
  return out
}

function unescapeTag (value: string): string | null {
  const bytes: number[] = []
  for (let i = 0; i < value.length;) {
    if (value[i] !== '_') { bytes.push(value.charCodeAt(i)); i++; continue }
    if (value[i + 1] === '_' && /^[0-9a-f]{2}$/.test(value.slice(i + 2, i + 4))) { bytes.push(parseInt(value.slice(i + 2, i + 4), 16)); i += 4; continue }
    if (/^[a-z]$/.test(value[i + 1] ?? '')) { bytes.push(value.charCodeAt(i + 1) - 32); i += 2; continue }
    return null
  }
  const text = Buffer.from(bytes).toString('utf8')
  return text.includes('\uFFFD') ? null : text
}

/** The label holding a create's uuid: how a create cut off by a timeout is found (uuids are valid label values). */
export const CLIENT_TOKEN_LABEL = 'stratus-client-token'
