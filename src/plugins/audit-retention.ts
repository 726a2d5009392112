import fp from 'fastify-plugin'
import { pruneAuditLog, retentionCutoff } from '../services/audit-retention.ts'

/**
 * Keeps the audit log to AUDIT_RETENTION_DAYS (0 keeps it forever): a pass shortly after start,
 * then one every `everyMs`, deleting in batches off the request path. Several servers on one
 * database may prune at once; the deletes are idempotent, so that only costs a little work.
 */
export default fp<{ retentionDays: number, everyMs: number }>(async function auditRetention (app, options) {
  if (options.retentionDays <= 0 || options.everyMs <= 0) return
  const { everyMs } = options
  let closing = false
  let running: Promise<unknown> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined

  const pass = async (): Promise<void> => {
    const started = Date.now()
    try {
      const result = await pruneAuditLog(app.db, { before: retentionCutoff(options.retentionDays), shouldStop: () => closing })
      if (result.deleted > 0) app.log.info({ deleted: result.deleted, batches: result.batches, ms: Date.now() - started }, 'pruned the audit log')
    } catch (error) {
      app.log.error({ err: error }, 'could not prune the audit log')
    }
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
}, { name: 'audit-retention', dependencies: ['database'] })
