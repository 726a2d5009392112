import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import { Problem } from '../problems.ts'
import { Accounts, TOKEN_REVOKED } from '../services/accounts.ts'
import { TokenVerifier, type Principal } from '../services/token-verifier.ts'
import { MemoryFailureThrottle, RedisFailureThrottle } from '../services/failure-throttle.ts'

declare module 'fastify' {
  interface FastifyInstance {
    accounts: Accounts
    tokenVerifier: TokenVerifier
  }
  interface FastifyRequest {
    /** Who the bearer token stands for; null only on public routes. */
    user: Principal | null
  }
  interface FastifyContextConfig {
    /** true: answered without a token (health, API document, docs, problem types). */
    public?: boolean
  }
}

/** The authenticated user of a non-public route. */
export function actor (request: FastifyRequest): Principal {
  if (request.user === null) throw new Error('actor() on a public route')
  return request.user
}

export function requireAdmin (request: FastifyRequest): Principal {
  const user = actor(request)
  if (!user.isAdmin) throw new Problem('forbidden', 'only an administrator can do this')
  return user
}

/** What an Authorization header presents: a token (with the token id Basic names it by), or nothing usable. */
type Presented = { token: string, tokenId?: string } | { malformed: string } | null

/**
 * Bearer <token>, or Basic base64(<token id>:<token>) for clients that can only send Basic (the
 * GATE Cloud client sends its API key id and password that way): the same token either way,
 * verified the same way.
 */
export function readAuthorization (header: string | undefined): Presented {
  if (header === undefined || header === '') return null
  const bearer = /^Bearer +(\S+) *$/i.exec(header)
  if (bearer !== null) return { token: bearer[1]! }
  if (!/^Basic(?: |$)/i.test(header)) return { malformed: 'the Authorization scheme must be Bearer (or Basic)' }
  const encoded = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header)?.[1]
  if (encoded === undefined || encoded.length % 4 !== 0) return { malformed: 'Basic credentials must be base64 of "<token id>:<token>"' }
  const decoded = Buffer.from(encoded, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return { malformed: 'Basic credentials must read "<token id>:<token>"' }
  const token = decoded.slice(colon + 1)
  if (token === '') return { malformed: 'Basic credentials need the token as the password' }
  return { token, tokenId: decoded.slice(0, colon) }
}

const challenge = (error?: string): Record<string, string> =>
  ({ 'www-authenticate': `Bearer realm="stratus"${error === undefined ? '' : `, error="${error}"`}` })

/**
 * Every route but the public ones needs Authorization: Bearer <token>. A server with no users
 * creates the first admin at start and prints its token once (on stderr, never in the logs).
 * An address that keeps failing to authenticate is answered 429 until its window passes; a
 * valid token is never refused for it.
 */
export default fp<{ adminToken: string | undefined, cacheMs: number, failuresMax: number, failuresWindowMs: number }>(async function auth (app, options) {
  const accounts = new Accounts(app.db)
  const verifier = new TokenVerifier(app.sql, options.cacheMs)
  const failures = app.redis === null
    ? new MemoryFailureThrottle(options.failuresMax, options.failuresWindowMs)
    : new RedisFailureThrottle(app.redis, options.failuresMax, options.failuresWindowMs)
  app.decorate('accounts', accounts)
  app.decorate('tokenVerifier', verifier)
  app.decorateRequest('user', null)

  // A token revoked through any server is forgotten here at once; if the channel drops, nothing cached is trusted.
  await app.notifications.listen(TOKEN_REVOKED, (tokenId) => verifier.forget(tokenId), () => verifier.forgetAll())

  const first = await accounts.bootstrap(options.adminToken)
  if (first.created) app.log.info('created the first administrator, "admin"')
  if (first.token !== null) {
    process.stderr.write(`\nFirst administrator "admin" created. Its API token, shown this once:\n\n  ${first.token}\n\n` +
      'Use it as "Authorization: Bearer <token>"; create users and tokens with npm run token.\n\n')
  }

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.public === true) return
    const presented = readAuthorization(request.headers.authorization)
    const principal = presented === null || !('token' in presented) ? null : await verifier.verify(presented.token)
    // Basic names the token by its id too: a token presented under another token's id is refused.
    if (principal !== null && ((presented as { tokenId?: string }).tokenId ?? principal.tokenId) === principal.tokenId) {
      request.user = principal
      return
    }
    // A valid token always passes; only failures are throttled, so nobody can lock others out.
    const wait = await failures.blocked(request.ip)
    if (wait !== null) throw new Problem('rate-limited', `too many failed authentications from this address; retry in ${wait} s`, { headers: { 'retry-after': String(wait) } })
    await failures.fail(request.ip)
    // The challenge stays Bearer: a Basic one would make browsers prompt on every API link.
    if (presented === null) throw new Problem('unauthorized', 'this request needs an "Authorization: Bearer <token>" header (or Basic with the token\'s id and the token)', { headers: challenge() })
    if ('malformed' in presented) throw new Problem('unauthorized', presented.malformed, { headers: challenge('invalid_request') })
    throw new Problem('unauthorized', 'the token is unknown, revoked or expired, or not the token of that id', { headers: challenge('invalid_token') })
  })
}, { name: 'auth', dependencies: ['database', 'content-negotiation', 'redis'] })
