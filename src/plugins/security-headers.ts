import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'

/**
 * API answers are data for programs: they get the short set OWASP's REST guidance names, set at
 * once from one precomputed object. no-store also keeps answers that hold an admin password or a
 * token out of every cache. Swagger UI's pages are for browsers and get helmet's full set (with
 * the Content-Security-Policy Swagger UI computes for its own assets, see plugins/swagger.ts).
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/helmet's options for a route; set on the docs pages only (plugins/swagger.ts). */
    helmet?: object
  }
}

export const API_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer'
}

export default fp(async function securityHeaders (app) {
  // Not global: helmet serves the routes that ask for it in their config (the docs pages).
  await app.register(helmet, { global: false, hsts: false })

  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config?.helmet === undefined) reply.headers(API_HEADERS)
    done()
  })
}, { name: 'security-headers' })
