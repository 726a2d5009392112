import fp from 'fastify-plugin'
import { JobEngine } from '../services/job-engine.ts'

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobEngine
  }
}

/**
 * The job engine (pg-boss) on the server's own database. Every server can ask for work; a worker
 * (STRATUS_ROLE all or worker) also supervises: it expires the jobs of servers that died so that
 * another worker takes them up. Queues and workers are added by the services that own the work.
 */
export default fp<{ supervise: boolean, pollIntervalMs: number, maintenanceIntervalMs: number }>(async function jobs (app, options) {
  const engine = new JobEngine(app.jobStore, {
    supervise: options.supervise,
    pollingIntervalSeconds: options.pollIntervalMs / 1000,
    maintenanceIntervalSeconds: Math.round(options.maintenanceIntervalMs / 1000),
    onError: (error) => app.log.error({ err: error }, 'job engine error'),
    availability: app.dbAvailability
  })
  app.decorate('jobs', engine)
  // Running jobs are given this long to finish (they hand over at their next step) before pg-boss gives up on them.
  app.addHook('onClose', async () => engine.stop(10_000))
}, { name: 'jobs', dependencies: ['database'] })
