import { createHash } from 'node:crypto'
import { shortId } from './ids.ts'

/**
 * API tokens: "stratus_" and 43 base62 characters (about 256 bits). Only the SHA-256 of a
 * token is kept; a fast hash is right here because the token is random, not a password.
 */
const PREFIX = 'stratus_'
const TOKEN = /^stratus_[0-9A-Za-z]{43}$/

export const generateToken = (): string => PREFIX + shortId(43)
export const looksLikeToken = (value: string): boolean => TOKEN.test(value)
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')
/** The part shown in token lists, enough for a person to tell tokens apart. */
export const tokenPrefix = (token: string): string => token.slice(0, PREFIX.length + 6)
