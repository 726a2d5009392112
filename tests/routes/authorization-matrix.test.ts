import t from 'tap'
import { addKey, addSandboxBackend, buildTestApp, createUser, json, waitForState } from '../helper.ts'

/**
 * User A can neither see nor change anything of user B's, through any route of either dialect,
 * in either format: every such request is 404 (never 403, which would confirm the resource), and
 * no list shows B's things. B's records are unchanged afterwards. An admin sees everything.
 */
t.test('authorization matrix: A cannot see or change B\'s resources', async (t) => {
  const app = await buildTestApp(t)
  const a = await createUser(app, 'user-a')
  const b = await createUser(app, 'user-b')

  // B's world: a backend, a key, a running machine with a tag.
  const bBackend = json((await b.inject({ method: 'POST', url: '/backends', payload: { title: 'B', provider: 'sandbox', api_key: 'b-secret-key', boot_delay_ms: 10, stop_delay_ms: 10 } })).body).id
  const bKey = json((await b.inject({ method: 'POST', url: '/keys', payload: { name: 'b-key' } })).body).id
  const created = await b.inject({ method: 'POST', url: `/backends/${bBackend}/machines`, payload: { name: 'b-machine', key: bKey, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' } })
  t.equal(created.statusCode, 201)
  const bMachine = Number(created.headers.location!.split('/').pop())
  const bProviderId = json(created.body).id
  await waitForState(app, bMachine, 'active')
  await b.inject({ method: 'POST', url: `/backends/${bBackend}/machines/${bProviderId}/metadata`, payload: { tag: 'b-tag' } })
  const bToken = json((await b.inject({ method: 'GET', url: '/api/tokens' })).body)[0].id

  // A's own backend and key, to try B's things through A's.
  const aBackend = json((await a.inject({ method: 'POST', url: '/backends', payload: { title: 'A', provider: 'sandbox', api_key: 'a-secret-key' } })).body).id
  const before = await app.db.machine.findUniqueOrThrow({ where: { id: bMachine } })
  const transitionsBefore = await app.db.transition.count({ where: { machineId: bMachine } })

  const attempts: Array<[string, string, Record<string, unknown>?]> = [
    ['GET', `/backends/${bBackend}`],
    ['PUT', `/backends/${bBackend}`, { title: 'mine now' }],
    ['DELETE', `/backends/${bBackend}`],
    ['GET', `/backends/${bBackend}/sizes`],
    ['GET', `/backends/${bBackend}/images`],
    ['GET', `/backends/${bBackend}/locations`],
    ['GET', `/backends/${bBackend}/machines`],
    ['POST', `/backends/${bBackend}/machines`, { name: 'intruder', key: bKey, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' }],
    ['POST', `/backends/${bBackend}/machines/${bProviderId}`, { action: 'destroy' }],
    ['POST', `/backends/${bBackend}/machines/${bProviderId}`, { action: 'shutdown' }],
    ['POST', `/backends/${bBackend}/machines/${bProviderId}/metadata`, { tag: 'pwned' }],
    ['DELETE', `/keys/${bKey}`],
    ['GET', `/api/machine/${bMachine}`],
    ['POST', `/api/machine/${bMachine}`, { name: 'renamed by A' }],
    ['POST', `/api/machine/${bMachine}/control`, { action: 'stop' }],
    ['DELETE', `/api/tokens/${bToken}`]
  ]
  for (const accept of ['application/json', 'application/xml']) {
    for (const [method, url, payload] of attempts) {
      const res = await a.inject({ method: method as 'GET', url, payload, headers: { accept } })
      t.equal(res.statusCode, 404, `${accept}: A ${method} ${url}`)
      t.match(res.headers['content-type'], accept === 'application/json' ? /problem\+json/ : /problem\+xml/)
    }
  }
  // B's key through A's own backend: not found either, and nothing is created.
  const viaOwn = await a.inject({ method: 'POST', url: `/backends/${aBackend}/machines`, payload: { name: 'x', key: bKey, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' } })
  t.equal(viaOwn.statusCode, 422)
  t.equal(json(viaOwn.body).type, '/problems/unknown-reference')

  // A's lists hold only A's things.
  t.same(json((await a.inject({ method: 'GET', url: '/backends' })).body).map((x: { id: string }) => x.id), [aBackend])
  t.same(json((await a.inject({ method: 'GET', url: '/keys' })).body), [])
  for (const query of ['', '?state=active', '?state=destroyed']) t.same(json((await a.inject({ method: 'GET', url: `/api/machine${query}` })).body), [], `machine list ${query}`)
  t.same(json((await a.inject({ method: 'GET', url: `/backends/${aBackend}/machines` })).body), [])
  const audit = json((await a.inject({ method: 'GET', url: '/api/audit?limit=1000' })).body)
  t.ok(audit.length > 0 && audit.every((entry: { user_id: string }) => entry.user_id === a.id), 'A reads only its own audit entries (its own attempts included)')
  t.equal(json((await b.inject({ method: 'GET', url: '/api/audit?limit=1000' })).body).filter((e: { user_id: string }) => e.user_id !== b.id).length, 0)
  t.equal((await a.inject({ method: 'GET', url: `/api/audit?user_id=${b.id}` })).statusCode, 403)

  // B's things are as they were.
  const after = await app.db.machine.findUniqueOrThrow({ where: { id: bMachine } })
  t.same({ ...after, updatedAt: null }, { ...before, updatedAt: null })
  t.equal(await app.db.transition.count({ where: { machineId: bMachine } }), transitionsBefore)
  t.equal((await app.db.backend.findUniqueOrThrow({ where: { id: bBackend } })).title, 'B')
  t.ok(await app.db.key.findUnique({ where: { id: bKey } }))
  t.equal((await app.db.apiToken.findUniqueOrThrow({ where: { id: bToken } })).revokedAt, null)
  t.equal(await app.db.machine.count({ where: { name: 'intruder' } }), 0)
  t.equal((await b.inject({ method: 'GET', url: `/api/machine/${bMachine}` })).statusCode, 200, 'B still sees it')

  // An admin sees everything.
  t.equal((await app.inject({ method: 'GET', url: `/api/machine/${bMachine}` })).statusCode, 200)
  t.equal(json((await app.inject({ method: 'GET', url: '/backends' })).body).length, 2)
  t.equal(json((await app.inject({ method: 'GET', url: '/api/machine' })).body).length, 1)
  t.ok(await addSandboxBackend(app) && await addKey(app, 'admin-key'))
})
