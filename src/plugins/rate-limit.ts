import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import { Problem } from '../problems.ts'

/**
 * At most `max` requests per token in each window (per client address for requests without a
 * token); beyond that 429 with Retry-After, as a problem in the negotiated format. Registered
 * after auth so that the key is the token, whichever address it comes from.
 */
export default fp<{ max: number, windowMs: number }>(async function rateLimiting (app, options) {
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    // With REDIS_URL the counters are shared by every server; without it, each server counts alone.
    ...(app.redis === null ? {} : { redis: app.redis, nameSpace: 'stratus:rate-limit:' }),
    keyGenerator: (request) => request.user === null ? `address:${request.ip}` : `token:${request.user.tokenId}`,
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000))
      return new Problem('rate-limited', `more than ${context.max} requests in ${context.after}; retry in ${seconds} s`, {
        headers: { 'retry-after': String(seconds) }
      })
    }
  })
}, { name: 'rate-limit', dependencies: ['auth', 'redis'] })
