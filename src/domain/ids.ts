import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * A mist-style short random id (e.g. "2tK74h4mXbjjLlkjjO4SHn3"): 22 base62 characters, about
 * 131 bits. Rejection sampling keeps every character equally likely.
 */
export function shortId (length = 22): string {
  let id = ''
  while (id.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && id.length < length) id += ALPHABET[byte % 62]
    }
  }
  return id
}

/** A random secret drawn from an unambiguous alphabet (no 0/O, 1/l/I). */
export function randomSecret (length = 20): string {
  const alphabet = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  let out = ''
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 228 && out.length < length) out += alphabet[byte % 57]
    }
  }
  return out
}
