import type { Sql } from '../db/sql.ts'
import { hashToken, looksLikeToken } from '../domain/tokens.ts'

export interface Principal { id: string, isAdmin: boolean, tokenId: string }

interface TokenRow { tokenId: string, userId: string, isAdmin: boolean, expiresAt: Date | null, revokedAt: Date | null }

const LOOKUP = {
  name: 'token-lookup',
  text: `SELECT t.id AS "tokenId", t.user_id AS "userId", u.is_admin AS "isAdmin", t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt"
    FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1`
}

/**
 * Turns a bearer token into the user it stands for. Every request needs this, so answers are
 * kept for a few seconds and the lookup is one prepared statement; a revocation through any
 * server reaches every server's cache at once (a NOTIFY, plugins/auth.ts).
 */
export class TokenVerifier {
  readonly #cache = new Map<string, { principal: Principal | null, expiresAt: Date | null, until: number }>()

  constructor (private readonly sql: Sql, private readonly cacheMs: number) {}

  async verify (token: string): Promise<Principal | null> {
    if (!looksLikeToken(token)) return null
    const hash = hashToken(token)
    const now = Date.now()
    let entry = this.#cache.get(hash)
    if (entry === undefined || entry.until < now) {
      const [row] = await this.sql.query<TokenRow>(LOOKUP, [hash])
      entry = {
        principal: row === undefined || row.revokedAt !== null ? null : { id: row.userId, isAdmin: row.isAdmin, tokenId: row.tokenId },
        expiresAt: row?.expiresAt ?? null,
        until: now + this.cacheMs
      }
      if (this.#cache.size > 10_000) this.#cache.clear()
      this.#cache.set(hash, entry)
    }
    if (entry.expiresAt !== null && entry.expiresAt.getTime() <= now) return null
    return entry.principal
  }

  /** Forgets every cached answer, e.g. when revocations may have been missed. */
  forgetAll (): void { this.#cache.clear() }

  /** Forgets the cached answer for one token (it was revoked, on this server or another). */
  forget (tokenId: string): void {
    for (const [hash, entry] of this.#cache) if (entry.principal?.tokenId === tokenId) this.#cache.delete(hash)
  }
}
