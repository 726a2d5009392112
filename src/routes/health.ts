import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Problem } from '../problems.ts'
import { problemResponses } from '../schemas/problem.ts'

/**
 * Liveness (/health: the process answers and reaches its database) and readiness (/ready: send
 * it traffic), for load balancers and orchestrators.
 */
const health: FastifyPluginAsyncTypebox<{ worker: boolean }> = async (app, options) => {
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

  app.get('/ready', {
    config: { public: true, rateLimit: false },
    schema: {
      operationId: 'getReadiness',
      tags: ['meta'],
      summary: 'Readiness',
      description: '503 until the database is reachable with its migrations applied and (on a worker) the job workers have started, and again from SIGTERM on, so that a load balancer drains the server before it stops.',
      response: {
        200: Type.Object({
          status: Type.Literal('ready'),
          database: Type.Literal('up'),
          jobs: Type.Union([Type.Literal('working'), Type.Literal('sending only')], { description: 'working: this server runs jobs (STRATUS_ROLE all or worker)' })
        }, { xml: { name: 'readiness' } }),
        ...problemResponses(503)
      }
    }
  }, async () => {
    if (app.lifecycle.draining) throw new Problem('not-ready', 'the server is shutting down')
    try {
      await app.db.$queryRaw`SELECT 1`
    } catch {
      throw new Problem('not-ready', 'the database cannot be reached')
    }
    if (options.worker && !app.lifecycle.working) throw new Problem('not-ready', 'the job workers have not started yet')
    return { status: 'ready' as const, database: 'up' as const, jobs: options.worker ? 'working' as const : 'sending only' as const }
  })
}

export default health
