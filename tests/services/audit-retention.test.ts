import t from 'tap'
import { pruneAuditLog, retentionCutoff } from '../../src/services/audit-retention.ts'
import { buildTestApp, json, TEST_ADMIN_TOKEN } from '../helper.ts'

const DAY = 86_400_000

async function addOldEntries (db: Awaited<ReturnType<typeof buildTestApp>>['db'], count: number, ageDays: number): Promise<void> {
  const at = new Date(Date.now() - ageDays * DAY)
  await db.auditEntry.createMany({
    data: Array.from({ length: count }, (_, i) => ({
      at, method: 'POST', route: 'POST /backends', path: '/backends', status: 201, outcome: 'succeeded', requestId: `old-${ageDays}-${i}`
    }))
  })
}

t.test('pruning deletes only entries past the cutoff, in batches', async (t) => {
  const app = await buildTestApp(t, { auditRetentionDays: 0 })
  await addOldEntries(app.db, 250, 100)
  await addOldEntries(app.db, 40, 10)

  const result = await pruneAuditLog(app.db, { before: retentionCutoff(90), batchSize: 100 })
  t.same(result, { deleted: 250, batches: 3 }, 'three batches of at most 100')
  t.equal(await app.db.auditEntry.count(), 40, 'younger entries stay')

  const again = await pruneAuditLog(app.db, { before: retentionCutoff(90), batchSize: 100 })
  t.same(again, { deleted: 0, batches: 1 }, 'a second pass finds nothing')

  const stopped = await pruneAuditLog(app.db, { before: retentionCutoff(5), batchSize: 10, maxBatches: 2 })
  t.same(stopped, { deleted: 20, batches: 2 }, 'a pass stops at its batch budget')
  t.equal(await app.db.auditEntry.count(), 20)
})

t.test('a started server prunes its audit log in the background and keeps recent entries', async (t) => {
  const app = await buildTestApp(t, { auditRetentionDays: 30, auditPruneIntervalMs: 50 })
  await addOldEntries(app.db, 120, 31)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  const created = await fetch(`http://127.0.0.1:${address.port}/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }
  })
  t.equal(created.status, 200, 'a mutating request is answered')

  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && await app.db.auditEntry.count({ where: { requestId: { startsWith: 'old-' } } }) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.equal(await app.db.auditEntry.count({ where: { requestId: { startsWith: 'old-' } } }), 0, 'entries past 30 days are gone')
  const recent = json((await app.inject({ method: 'GET', url: '/api/audit' })).body)
  t.ok(recent.some((entry: { route: string }) => entry.route === 'POST /keys'), 'the new entry is kept')
})

t.test('AUDIT_RETENTION_DAYS=0 keeps every entry', async (t) => {
  const app = await buildTestApp(t, { auditRetentionDays: 0, auditPruneIntervalMs: 20 })
  await addOldEntries(app.db, 10, 5_000)
  await app.ready()
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(await app.db.auditEntry.count(), 10)
})
