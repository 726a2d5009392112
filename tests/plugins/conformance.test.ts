import t from 'tap'
import { createXmlReader } from '../../src/xml/decode.ts'
import { Problem as ProblemSchema } from '../../src/schemas/problem.ts'
import { addKey, addSandboxBackend, buildTestApp, createMachine, eventually, json, waitForState } from '../helper.ts'

/**
 * What independent tools found at the edge (issues 6 and 13): characters PostgreSQL or XML cannot
 * hold, type coercion of bodies, framework errors that were not problem documents, 405, XML maps
 * with stray text, nil on non-nullable fields, bodies without Content-Type, /health throttled.
 */
const readXml = createXmlReader({ maxDepth: 32 })

t.test('the edge', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const key = await addKey(app)
  const machine = await createMachine(app, backend, key)
  await waitForState(app, machine.id, 'active')

  const isProblem = (t: { equal: Function, match: Function }, res: { statusCode: number, headers: Record<string, unknown>, body: string }, status: number, type?: string) => {
    t.equal(res.statusCode, status, `${status}: ${res.body.slice(0, 200)}`)
    const xml = String(res.headers['content-type']).startsWith('application/problem+xml')
    if (!xml) t.match(res.headers['content-type'], /^application\/problem\+json/)
    const body = xml ? readXml(res.body, ProblemSchema) as Record<string, unknown> : json(res.body)
    if (type !== undefined) t.equal(body.type, `/problems/${type}`)
    t.equal(body.status, status)
    t.equal(body.message, body.detail, 'message repeats detail (the GATE Cloud client shows message)')
    t.equal(res.headers['x-content-type-options'], 'nosniff', 'the API\'s security headers')
    t.equal(res.headers['cache-control'], 'no-store')
    return body
  }

  t.test('NUL and the characters XML cannot carry are refused at validation, everywhere', async (t) => {
    for (const bad of ['\u0000', '\u0001', '\uFFFE', '\uFFFF', '\uD800']) {
      const label = `U+${bad.charCodeAt(0).toString(16)}`
      isProblem(t, await app.inject({ method: 'POST', url: '/backends', payload: { title: `a${bad}b`, provider: 'sandbox', api_key: 'k' } }), 400, 'validation-failed')
      isProblem(t, await app.inject({ method: 'POST', url: `/api/machine/${machine.id}`, payload: { name: `x${bad}` } }), 400, 'validation-failed')
      isProblem(t, await app.inject({ method: 'POST', url: '/api/tokens', payload: { name: `t${bad}` } }), 400, 'validation-failed')
      t.pass(label)
      if (bad === '\uD800') continue // a lone surrogate has no URL encoding: bodies only
      isProblem(t, await app.inject({ method: 'GET', url: `/api/audit?resource_id=${encodeURIComponent(bad)}` }), 400, 'validation-failed')
      isProblem(t, await app.inject({ method: 'GET', url: `/api/audit?user_id=${encodeURIComponent(bad)}` }), 400, 'validation-failed')
      isProblem(t, await app.inject({ method: 'POST', url: `/backends/${backend}/machines/a${encodeURIComponent(bad)}b`, payload: { action: 'reboot' } }), 400, 'validation-failed')

      isProblem(t, await app.inject({ method: 'GET', url: `/problems/${encodeURIComponent(bad)}`, headers: { accept: 'application/xml' } }), 400, 'validation-failed')
    }
    // The path with a NUL in it is audited, its refusal included, not lost.
    const entry = await eventually(async () => {
      const res = await app.inject({ method: 'GET', url: '/api/audit?resource_type=machine&limit=50' })
      return json(res.body).find((e: any) => e.status === 400 && e.path.includes('%00'))
    })
    t.equal(entry.outcome, 'refused')
    t.match(entry.resource_id, /^a\uFFFDb$/, 'the NUL is recorded as U+FFFD')
  })

  t.test('XML bodies carrying those characters, raw or as references, are refused', async (t) => {
    for (const name of ['a\uFFFEb', 'a&#xFFFE;b', 'a&#xFFFF;b', 'a&#1;b', 'a&#xD800;b']) {
      isProblem(t, await app.inject({ method: 'POST', url: `/api/machine/${machine.id}`, headers: { 'content-type': 'application/xml' }, payload: `<machine><name>${name}</name></machine>` }), 400)
    }
  })

  t.test('a provider\'s text with such characters still makes a well-formed XML answer', async (t) => {
    // (As if a provider had named it so: names are refused at the API, but a cloud's are not ours.)
    await app.db.machine.update({ where: { id: machine.id }, data: { name: 'bad\u0001\uFFFEtext\uFFFF' } })
    const res = await app.inject({ method: 'GET', url: `/api/machine/${machine.id}`, headers: { accept: 'application/xml' } })
    t.equal(res.statusCode, 200)
    // eslint-disable-next-line no-control-regex -- the test is about control characters
    t.notMatch(res.body, /[\u0001\uFFFE\uFFFF]/)
    t.match(res.body, /<name>bad\uFFFD\uFFFDtext\uFFFD<\/name>/)
    await app.db.machine.update({ where: { id: machine.id }, data: { name: 'web-1' } })
  })

  t.test('JSON bodies are validated as sent, never coerced', async (t) => {
    isProblem(t, await app.inject({ method: 'POST', url: `/api/machine/${machine.id}`, payload: { name: 12345 } }), 400, 'validation-failed')
    isProblem(t, await app.inject({ method: 'POST', url: '/api/users', payload: { name: 'eve', admin: 'true' } }), 400, 'validation-failed')
    isProblem(t, await app.inject({ method: 'POST', url: `/api/machine/${machine.id}/control`, payload: { action: ['stop'] } }), 400, 'validation-failed')
    t.equal(await app.db.user.count({ where: { name: 'eve' } }), 0, 'no administrator was made')
    t.equal((await waitForState(app, machine.id, 'active')).state, 'active', 'the machine was not stopped')
    // Query strings and path parameters are text and are still read as their types.
    t.equal((await app.inject({ method: 'GET', url: '/api/audit?limit=5' })).statusCode, 200)
    t.equal((await app.inject({ method: 'GET', url: '/api/machine?state=active' })).statusCode, 200)
  })

  t.test('XML nil on a field that cannot be null is refused like a JSON null', async (t) => {
    const xml = (body: string) => ({ 'content-type': 'application/xml', payload: body })
    for (const [url, body] of [
      ['/api/users', '<user><name>nilly</name><admin nil="true"/></user>'],
      ['/backends', '<backend><title>t</title><provider>sandbox</provider><api_key>k</api_key><boot_delay_ms nil="true"/></backend>'],
      [`/api/machine/${machine.id}`, '<machine><name nil="true"/></machine>']
    ] as const) {
      const { 'content-type': type, payload } = xml(body)
      isProblem(t, await app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload }), 400, 'validation-failed')
    }
  })

  t.test('an XML map or array with stray text is refused, as its JSON twin is', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/backends',
      headers: { 'content-type': 'application/xml' },
      payload: '<backend><title>t</title><provider>sandbox</provider><api_key>k</api_key><faults>garbage</faults></backend>'
    })
    isProblem(t, res, 400)
    isProblem(t, await app.inject({ method: 'POST', url: '/backends', payload: { title: 't', provider: 'sandbox', api_key: 'k', faults: 'garbage' } }), 400)
  })

  t.test('a path parameter too long for any id is a problem document, in the negotiated format', async (t) => {
    const body = isProblem(t, await app.inject({ method: 'GET', url: `/backends/${'a'.repeat(300)}`, headers: { accept: 'application/xml' } }), 400, 'validation-failed')
    t.ok(body.detail)
    isProblem(t, await app.inject({ method: 'GET', url: '/backends/%E0%A4%A' }), 400, 'validation-failed')
  })

  t.test('an unsupported method on an existing path is 405 with Allow', async (t) => {
    const res = await app.inject({ method: 'PATCH', url: `/backends/${backend}` })
    isProblem(t, res, 405, 'method-not-allowed')
    t.equal(res.headers.allow, 'GET, HEAD, POST, PUT, DELETE')
    t.equal((await app.inject({ method: 'DELETE', url: '/api/machine' })).headers.allow, 'GET, HEAD')
    isProblem(t, await app.inject({ method: 'GET', url: '/no/such/path' }), 404, 'not-found')
  })

  t.test('bodies without Content-Type are read as JSON or XML; other types are 415', async (t) => {
    const bare = async (payload: string) => app.inject({ method: 'POST', url: `/api/machine/${machine.id}`, payload, headers: { 'content-type': undefined as unknown as string } })
    t.equal((await bare('{"name": "sniffed-json"}')).statusCode, 200)
    t.equal((await bare('<machine><name>sniffed-xml</name></machine>')).statusCode, 200)
    isProblem(t, await bare('name=form'), 415, 'unsupported-media-type')
    isProblem(t, await app.inject({ method: 'POST', url: `/api/machine/${machine.id}`, payload: 'plain', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported-media-type')
  })
})

t.test('/health is never rate-limited', async (t) => {
  const app = await buildTestApp(t, { rateLimitMax: 3 })
  for (let i = 0; i < 10; i++) t.equal((await app.inject({ method: 'GET', url: '/health', headers: { authorization: '' } })).statusCode, 200)
  const limited = []
  for (let i = 0; i < 5; i++) limited.push((await app.inject({ method: 'GET', url: '/problems/not-found', headers: { authorization: '' } })).statusCode)
  t.ok(limited.includes(429), 'other unauthenticated requests from the address are')
})
