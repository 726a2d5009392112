import fp from 'fastify-plugin'
import { rollUpClosedMonths } from '../services/month-rollup.ts'

const ROLLUP_QUEUE = 'cost-rollup'

/**
 * Rolls up closed months (services/month-rollup.ts) as a job: on one worker at a time, at a
 * worker's start and then every `everyMs`. Reports bring a month up to date themselves too, so the
 * job is what keeps them fast, not what keeps them right.
 */
export default fp<{ worker: boolean, everyMs: number }>(async function costRollup (app, options) {
  await app.jobs.addQueues([{ name: ROLLUP_QUEUE, policy: 'stately', expireInSeconds: 900 }])
  if (!options.worker) return
  app.addHook('onReady', async () => {
    await app.jobs.work(ROLLUP_QUEUE, 1, async () => {
      try {
        const priced = await rollUpClosedMonths(app.db, new Date())
        if (priced > 0) app.log.info({ priced }, 'closed months rolled up')
      } finally {
        await app.jobs.send(ROLLUP_QUEUE, {}, { key: 'all', startAfter: new Date(Date.now() + options.everyMs) })
      }
    })
    await app.jobs.send(ROLLUP_QUEUE, {}, { key: 'all' })
  })
}, { name: 'cost-rollup', dependencies: ['database', 'jobs', 'machines'] })
