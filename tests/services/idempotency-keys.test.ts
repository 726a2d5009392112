import t from 'tap'
import { IDEMPOTENCY_KEY_TTL_MS, pruneIdempotencyKeys } from '../../src/services/idempotency-keys.ts'
import { addKey, addSandboxBackend, buildTestApp, json } from '../helper.ts'

const HOUR = 3_600_000

t.test('an Idempotency-Key is kept 24 hours: used again after that it is a new request, and pruning deletes it', async (t) => {
  const app = await buildTestApp(t, { auditPruneIntervalMs: 0 })
  const backend = await addSandboxBackend(app, { boot_delay_ms: 0 })
  const key = await addKey(app)
  const create = async (idempotencyKey: string, name: string) => app.inject({
    method: 'POST',
    url: `/backends/${backend}/machines`,
    headers: { 'idempotency-key': idempotencyKey },
    payload: { name, key, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' }
  })
  const age = async (idempotencyKey: string, ms: number) =>
    app.db.$executeRaw`UPDATE idempotency_keys SET created_at = now() - make_interval(secs => ${ms / 1000}) WHERE key = ${idempotencyKey}`

  const first = await create('reused-key', 'first')
  t.equal(first.statusCode, 201)
  await age('reused-key', IDEMPOTENCY_KEY_TTL_MS - HOUR)
  const replay = await create('reused-key', 'first')
  t.equal(replay.body, first.body, 'within 24 hours: the first answer again')
  t.equal((await create('reused-key', 'another')).statusCode, 422, 'within 24 hours: another body is refused')

  await age('reused-key', IDEMPOTENCY_KEY_TTL_MS + HOUR)
  const fresh = await create('reused-key', 'another')
  t.equal(fresh.statusCode, 201, 'past 24 hours: a new request')
  t.not(json(fresh.body).uuid, json(first.body).uuid, 'a new machine')
  t.equal(await app.db.machine.count(), 2)

  await create('old-1', 'old-1')
  await create('old-2', 'old-2')
  await create('young', 'young')
  await age('old-1', IDEMPOTENCY_KEY_TTL_MS + HOUR)
  await age('old-2', IDEMPOTENCY_KEY_TTL_MS + 2 * HOUR)
  t.same(await pruneIdempotencyKeys(app.db, { batchSize: 1 }), { deleted: 2, batches: 3 }, 'the expired keys, one batch each, oldest first')
  t.same((await app.db.idempotencyKey.findMany({ orderBy: { key: 'asc' } })).map((row) => row.key), ['reused-key', 'young'], 'keys within their 24 hours stay')
})

t.test('a server prunes expired keys in the background', async (t) => {
  const app = await buildTestApp(t, { auditRetentionDays: 0, auditPruneIntervalMs: 50 })
  await app.db.idempotencyKey.create({
    data: { ownerId: 'someone', key: 'ancient', backendId: 'none', requestHash: 'x', machineUuid: '00000000-0000-4000-8000-000000000000', createdAt: new Date(Date.now() - 2 * IDEMPOTENCY_KEY_TTL_MS) }
  })
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && await app.db.idempotencyKey.count() > 0) await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(await app.db.idempotencyKey.count(), 0, 'gone without a request')
})
