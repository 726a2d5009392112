import fp from 'fastify-plugin'
import { ScheduleRunner } from '../services/schedule-runs.ts'
import { ScheduleStore } from '../services/schedules.ts'

declare module 'fastify' {
  interface FastifyInstance {
    schedules: ScheduleStore
    scheduleRunner: ScheduleRunner
  }
}

/**
 * Scheduled actions: every server keeps schedules and sends their fires as jobs; a worker fires
 * them and runs their actions, and sweeps for a fire whose job a dying server never sent.
 */
export default fp<{ worker: boolean, sweepEveryMs: number }>(async function schedules (app, options) {
  const runner = new ScheduleRunner(app.db, app.sql, app.jobs, app.machines, app.log)
  await app.jobs.addQueues(runner.queues())
  app.decorate('scheduleRunner', runner)
  app.decorate('schedules', new ScheduleStore(app.db, runner))
  if (options.worker) app.addHook('onReady', async () => runner.startWorking(options.sweepEveryMs))
  app.addHook('preClose', async () => { runner.stop() })
}, { name: 'schedules', dependencies: ['database', 'jobs', 'machines'] })
