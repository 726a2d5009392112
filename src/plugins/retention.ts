import fp from 'fastify-plugin'
import { pruneAuditLog, retentionCutoff } from '../services/audit-retention.ts'
import { pruneIdempotencyKeys } from '../services/idempotency-keys.ts'
import { pruneScheduleRuns } from '../services/schedule-run-retention.ts'

/**
 * Keeps what is kept for a time to that time: the audit log to AUDIT_RETENTION_DAYS, finished
 * schedule runs to SCHEDULE_RUN_RETENTION_DAYS (0 keeps either forever) and Idempotency-Keys to
 * their 24 hours. A pass shortly after start, then one every
 * `everyMs`, deleting in batches off the request path. Several servers on one database may prune
 * at once; the deletes are idempotent, so that only costs a little work.
 */
export default fp<{ auditRetentionDays: number, scheduleRunRetentionDays: number, everyMs: number }>(async function retention (app, options) {
  if (options.everyMs <= 0) return
  const { everyMs } = options
  let closing = false
  let running: Promise<unknown> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  const shouldStop = (): boolean => closing

  /** Whether the database was away (the pass is then done again as soon as it is back). */
  const prune = async (what: string, work: () => Promise<{ deleted: number, batches: number }>): Promise<boolean> => {
    const started = Date.now()
    try {
      const result = await work()
      if (result.deleted > 0) app.log.info({ deleted: result.deleted, batches: result.batches, ms: Date.now() - started }, `pruned ${what}`)
      return false
    } catch (error) {
      if (app.dbAvailability.noteFailure(error)) return true
      app.log.error({ err: error }, `could not prune ${what}`)
      return false
    }
  }
  const pass = async (): Promise<boolean> => {
    if (options.auditRetentionDays > 0 && await prune('the audit log', async () => pruneAuditLog(app.db, { before: retentionCutoff(options.auditRetentionDays), shouldStop }))) return true
    if (options.scheduleRunRetentionDays > 0 && await prune('finished schedule runs', async () => pruneScheduleRuns(app.db, { before: retentionCutoff(options.scheduleRunRetentionDays), shouldStop }))) return true
    return prune('expired idempotency keys', async () => pruneIdempotencyKeys(app.db, { shouldStop }))
  }
  const schedule = (delay: number): void => {
    timer = setTimeout(() => {
      running = pass().then(async (away) => {
        if (closing) return
        if (away) {
          await app.dbAvailability.whenUp()
          if (!closing) schedule(0)
        } else schedule(everyMs)
      })
    }, delay)
    timer.unref()
  }

  app.addHook('onReady', async () => { schedule(Math.min(10_000, everyMs)) })
  app.addHook('preClose', async () => {
    closing = true
    clearTimeout(timer)
    await running
  })
}, { name: 'retention', dependencies: ['database'] })
