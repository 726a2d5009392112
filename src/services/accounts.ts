import type { ApiToken, PrismaClient, User } from '../generated/prisma/client.ts'
import { shortId } from '../domain/ids.ts'
import { generateToken, hashToken, looksLikeToken, tokenPrefix } from '../domain/tokens.ts'
import { invalidFields, Problem } from '../problems.ts'

export interface IssuedToken { token: string, record: ApiToken }

/** The NOTIFY channel a revocation is announced on; the payload is the token's id. */
export const TOKEN_REVOKED = 'stratus_token_revoked'

const MALFORMED_TOKEN = 'a token must read stratus_ followed by 43 letters and digits'
// pg_advisory_xact_lock key for the first start's bootstrap ("stratus1" as a number).
const BOOTSTRAP_LOCK = 0x7374726174757331n

/** Users and their API tokens; used by the routes, the CLI and the first start. */
export class Accounts {
  constructor (private readonly db: PrismaClient) {}

  async createUser (name: string, isAdmin: boolean): Promise<User> {
    if (await this.db.user.findUnique({ where: { name } }) !== null) throw new Problem('conflict', `a user named "${name}" exists already`)
    return this.db.user.create({ data: { id: shortId(), name, isAdmin } })
  }

  /** A new token for the user; the clear token is returned this once and never stored. */
  async issueToken (userId: string, name: string, expiresAt: Date | null, given?: string, db: Pick<PrismaClient, 'apiToken'> = this.db): Promise<IssuedToken> {
    const token = given ?? generateToken()
    if (!looksLikeToken(token)) throw new Error(MALFORMED_TOKEN)
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) throw invalidFields('expires_at must be in the future', [{ field: 'expires_at', detail: 'must be in the future' }])
    const record = await db.apiToken.create({
      data: { id: shortId(), userId, name, tokenHash: hashToken(token), prefix: tokenPrefix(token), expiresAt }
    })
    return { token, record }
  }

  /** Revokes a token of this user (any token, for an admin); null when there is no such token. */
  async revokeToken (tokenId: string, actor: { id: string, isAdmin: boolean }): Promise<ApiToken | null> {
    const token = await this.db.apiToken.findFirst({ where: { id: tokenId, ...(actor.isAdmin ? {} : { userId: actor.id }) } })
    if (token === null) return null
    if (token.revokedAt !== null) return token
    // Every server forgets the token at once (plugins/auth.ts listens), and only once this commits.
    const [revoked] = await this.db.$transaction([
      this.db.apiToken.update({ where: { id: token.id }, data: { revokedAt: new Date() } }),
      this.db.$executeRaw`SELECT pg_notify(${TOKEN_REVOKED}, ${token.id})`
    ])
    return revoked
  }

  /**
   * On a server with no users: creates the first admin and a token for it (STRATUS_ADMIN_TOKEN
   * when given), and gives it whatever was created before users existed. Returns the token only
   * when it was generated here, for the caller to show once.
   */
  async bootstrap (adminToken: string | undefined): Promise<{ created: boolean, token: string | null }> {
    // Checked before anything is written: a bad STRATUS_ADMIN_TOKEN must not leave an admin
    // without a token behind (later starts would skip the bootstrap and answer 401 forever).
    if (adminToken !== undefined && !looksLikeToken(adminToken)) throw new Error(`STRATUS_ADMIN_TOKEN: ${MALFORMED_TOKEN}`)
    // One transaction under a lock: of servers starting at once on an empty database, one
    // creates the admin and the others find it.
    return this.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`
      if (await tx.user.count() > 0) return { created: false, token: null }
      const admin = await tx.user.create({ data: { id: shortId(), name: 'admin', isAdmin: true } })
      const { token } = await this.issueToken(admin.id, 'first admin token', null, adminToken, tx)
      await tx.backend.updateMany({ where: { ownerId: null }, data: { ownerId: admin.id } })
      await tx.key.updateMany({ where: { ownerId: null }, data: { ownerId: admin.id } })
      await tx.machine.updateMany({ where: { ownerId: null }, data: { ownerId: admin.id } })
      return { created: true, token: adminToken === undefined ? token : null }
    })
  }
}
