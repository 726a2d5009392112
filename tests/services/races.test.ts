import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { addKey, addSandboxBackend, authorize, buildTestApp, createTestDatabase, json, testConfig } from '../helper.ts'

t.test('concurrent first creates on a fresh backend all succeed (the size catalog is refreshed by upsert)', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app, { boot_delay_ms: 0 })
  const key = await addKey(app)
  const creates = await Promise.all(Array.from({ length: 10 }, (_, i) => app.inject({
    method: 'POST', url: `/backends/${backend}/machines`, payload: { name: `m${i}`, key, image: 'debian-12', size: 'sbx.small', location: 'sbx-eu-1' }
  })))
  t.same(creates.map((res) => res.statusCode), Array(10).fill(201), creates.find((res) => res.statusCode !== 201)?.body ?? 'all 201')
  // An expired cache is refreshed the same way while readers read.
  await app.db.size.updateMany({ data: { fetchedAt: new Date(0) } })
  const reads = await Promise.all(Array.from({ length: 10 }, () => app.inject({ method: 'GET', url: `/backends/${backend}/sizes` })))
  t.same(reads.map((res) => res.statusCode), Array(10).fill(200))
  t.ok(reads.every((res) => json(res.body).length > 0), 'no reader saw an empty catalog')
})

t.test('servers started at once on an empty database all start, with one first admin', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const apps = await Promise.all([0, 1, 2].map(() => buildApp(testConfig({ databaseUrl: database.url }))))
  t.teardown(() => Promise.all(apps.map((app) => app.close())))
  t.equal(apps.length, 3)
  t.equal(await apps[0]!.db.user.count(), 1, 'one admin')
  t.equal(await apps[0]!.db.apiToken.count(), 1, 'with one token')
  t.equal(await apps[0]!.db.setting.count({ where: { key: 'secret_check' } }), 1, 'one secret check')
})

t.test('a malformed STRATUS_ADMIN_TOKEN writes nothing; a later start with a good one works', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  await t.rejects(buildApp(testConfig({ databaseUrl: database.url, adminToken: 'not-a-token' })), /STRATUS_ADMIN_TOKEN/)
  const app = authorize(await buildApp(testConfig({ databaseUrl: database.url })))
  t.teardown(() => app.close())
  t.equal(await app.db.user.count(), 1)
  t.equal((await app.inject({ method: 'GET', url: '/api/tokens' })).statusCode, 200, 'the first admin\'s token works')
})
