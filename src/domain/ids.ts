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

/**
 * An admin password clouds accept: random, and with a lower-case letter, an upper-case letter
 * and a digit always (Azure wants 3 of 4 character classes; a plain random 20 characters lacks
 * a digit about one time in twenty).
 */
export function adminPassword (length = 20): string {
  for (;;) {
    const secret = randomSecret(length)
    if (/[a-z]/.test(secret) && /[A-Z]/.test(secret) && /\d/.test(secret)) return secret
  }
}
