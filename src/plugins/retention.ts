import fp from 'fastify-plugin'
import { pruneAuditLog, retentionCutoff } from '../services/audit-retention.ts'
import { pruneIdempotencyKeys } from '../services/idempotency-keys.ts'

/**
 * Keeps what is kept for a time to that time: the audit log to AUDIT_RETENTION_DAYS (0 keeps it
 * forever) and Idempotency-Keys to their 24 hours. A pass shortly after start, then one every
 * `everyMs`, deleting in batches off the request path. Several servers on one database may prune
 * at once; the deletes are idempotent, so that only costs a little work.
 */
export default fp<{ auditRetentionDays: number, everyMs: number }>(async function retention (app, options) {
  if (options.everyMs <= 0) return
  const { everyMs } = options
  let closing = false
  let running: Promise<unknown> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  const shouldStop = (): boolean => closing

  const prune = async (what: string, work: () => Promise<{ deleted: number, batches: number }>): Promise<void> => {
    const started = Date.now()
    try {
      const result = await work()
      if (result.deleted > 0) app.log.info({ deleted: result.deleted, batches: result.batches, ms: Date.now() - started }, `pruned ${what}`)
    } catch (error) {
      app.log.error({ err: error }, `could not prune ${what}`)
    }
  }
  const pass = async (): Promise<void> => {
    if (options.auditRetentionDays > 0) await prune('the audit log', async () => pruneAuditLog(app.db, { before: retentionCutoff(options.auditRetentionDays), shouldStop }))
    await prune('expired idempotency keys', async () => pruneIdempotencyKeys(app.db, { shouldStop }))
  }
  const schedule = (delay: number): void => {
    timer = setTimeout(() => {
      running = pass().finally(() => { if (!closing) schedule(everyMs) })
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
