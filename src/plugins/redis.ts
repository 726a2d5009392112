import fp from 'fastify-plugin'
import { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** The shared store for rate-limit and failed-authentication counters; null without REDIS_URL. */
    redis: Redis | null
  }
}

/**
 * Redis, when REDIS_URL is set, so that servers behind one load balancer share their rate-limit
 * counters. Bounded: a Redis that does not answer fails a command after a second rather than
 * holding requests (settings recommended by @fastify/rate-limit).
 */
export default fp<{ url: string | undefined }>(async function redis (app, options) {
  if (options.url === undefined) {
    app.decorate('redis', null)
    return
  }
  const client = new Redis(options.url, { connectTimeout: 1000, maxRetriesPerRequest: 1, enableOfflineQueue: true })
  client.on('error', (error) => app.log.warn({ err: error }, 'Redis connection error'))
  app.decorate('redis', client)
  app.addHook('onClose', async () => { await client.quit().catch(() => client.disconnect()) })
}, { name: 'redis' })
