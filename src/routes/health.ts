import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Problem } from '../problems.ts'
import { problemResponses } from '../schemas/problem.ts'

/** How long /health waits for the database's answer before saying it is down. */
const HEALTH_PROBE_MS = 1000

/**
 * Liveness (/health: the process answers, and says whether it reaches its database) and readiness
 * (/ready: send it traffic), for load balancers and orchestrators. Liveness stays 200 while the
 * database is away: restarting every server would not bring it back.
 */
const health: FastifyPluginAsyncTypebox<{ worker: boolean }> = async (app, options) => {
  app.get('/health', {
    // A load balancer's probe must never be throttled, whatever else comes from its address.
    config: { public: true, rateLimit: false },
    schema: {
      operationId: 'getHealth',
      tags: ['meta'],
      summary: 'Health',
      description: 'Liveness: 200 while the process runs, whether or not the database answers (`database` says which, within a second); readiness is /ready.',
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          database: Type.Union([Type.Literal('up'), Type.Literal('down')], { description: 'down: the database did not answer within a second (requests answer 503 database-unavailable meanwhile)' })
        }, { xml: { name: 'health' } })
      }
    }
  }, async () => {
    const reached = await answersWithin(HEALTH_PROBE_MS, async () => app.db.$queryRaw`SELECT 1`)
    return { status: 'ok' as const, database: reached ? 'up' as const : 'down' as const }
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
    } catch (error) {
      app.dbAvailability.noteFailure(error)
      throw new Problem('not-ready', 'the database cannot be reached')
    }
    // Background work waiting for the database resumes now, not at the next probe.
    app.dbAvailability.noteAnswer()
    if (options.worker && !app.lifecycle.working) throw new Problem('not-ready', 'the job workers have not started yet')
    return { status: 'ready' as const, database: 'up' as const, jobs: options.worker ? 'working' as const : 'sending only' as const }
  })
}

/** Whether `work` succeeds within `ms` (a query left running past it ends at the query timeout). */
async function answersWithin (ms: number, work: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([work().then(() => true, () => false), late])
  } finally {
    clearTimeout(timer)
  }
}

export default health
