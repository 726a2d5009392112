import t from 'tap'
import { addKey, addSandboxBackend, buildTestApp, createUser, eventually, json } from '../helper.ts'

t.test('every mutating request is audited: who, what, which resource, when, outcome', async (t) => {
  const app = await buildTestApp(t)
  const carol = await createUser(app, 'carol')
  const started = new Date()
  const created = await carol.inject({ method: 'POST', url: '/backends', payload: { title: 'C', provider: 'sandbox', api_key: 'c-key' } })
  const backend = json(created.body).id
  await carol.inject({ method: 'PUT', url: `/backends/${backend}`, payload: { title: 'C2' } })
  await carol.inject({ method: 'POST', url: '/backends', payload: { title: '' } })
  await carol.inject({ method: 'DELETE', url: '/keys/nope' })
  await carol.inject({ method: 'GET', url: '/backends' })
  await app.inject({ method: 'POST', url: '/backends', headers: { authorization: 'Bearer wrong' }, payload: {} })

  const entries = await eventually(async () => {
    const list = json((await carol.inject({ method: 'GET', url: '/api/audit' })).body)
    return list.length >= 4 ? list : undefined
  })
  t.match(entries, [
    { method: 'DELETE', route: 'DELETE /keys/:key_id', resource_type: 'key', resource_id: 'nope', status: 404, outcome: 'refused', user_id: carol.id },
    { method: 'POST', route: 'POST /backends', resource_type: null, status: 400, outcome: 'refused' },
    { method: 'PUT', route: 'PUT /backends/:backend_id', resource_type: 'backend', resource_id: backend, status: 200, outcome: 'succeeded' },
    { method: 'POST', route: 'POST /backends', path: '/backends', resource_type: 'backend', resource_id: backend, status: 201, outcome: 'succeeded' }
  ])
  t.equal(entries.length, 4, 'reads are not audited; other users\' entries are not shown')
  t.ok(entries.every((e: { at: string }) => Date.parse(e.at) >= started.getTime() - 1000))

  const byResource = json((await carol.inject({ method: 'GET', url: `/api/audit?resource_type=backend&resource_id=${backend}` })).body)
  t.equal(byResource.length, 2)
  const future = json((await carol.inject({ method: 'GET', url: `/api/audit?since=${new Date(Date.now() + 60_000).toISOString()}` })).body)
  t.same(future, [])
  const past = json((await carol.inject({ method: 'GET', url: `/api/audit?until=${started.toISOString()}` })).body)
  t.same(past, [])
  const xml = await carol.inject({ method: 'GET', url: '/api/audit?limit=1', headers: { accept: 'application/xml' } })
  t.match(xml.body, /<audit><entry><id>\d+<\/id><at>[^<]+<\/at><user_id>\w+<\/user_id><method>DELETE<\/method>/)

  // The admin reads everyone's, the unauthenticated attempt included.
  const all = await eventually(async () => {
    const list = json((await app.inject({ method: 'GET', url: '/api/audit?limit=1000' })).body)
    return list.some((e: { status: number }) => e.status === 401) ? list : undefined
  })
  t.match(all.find((e: { status: number }) => e.status === 401), { user_id: null, outcome: 'refused', route: 'POST /backends' })
  t.same(json((await app.inject({ method: 'GET', url: `/api/audit?user_id=${carol.id}` })).body).length, 4)
  t.ok(await addSandboxBackend(app) && await addKey(app))
})
