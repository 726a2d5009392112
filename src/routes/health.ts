import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

/** Liveness and database reachability, for load balancers and humans. */
const health: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/health', {
    // A load balancer's probe must never be throttled, whatever else comes from its address.
    config: { public: true, rateLimit: false },
    schema: {
      operationId: 'getHealth',
      tags: ['meta'],
      summary: 'Health',
      response: { 200: Type.Object({ status: Type.Literal('ok'), database: Type.Literal('up') }, { xml: { name: 'health' } }) }
    }
  }, async () => {
    await app.db.$queryRaw`SELECT 1`
    return { status: 'ok' as const, database: 'up' as const }
  })
}

export default health
