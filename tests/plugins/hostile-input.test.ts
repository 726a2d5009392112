import t from 'tap'
import { buildTestApp, createUser, json } from '../helper.ts'

t.test('no request can point a backend at a URL (no server-side request forgery)', async (t) => {
  const app = await buildTestApp(t)
  for (const field of ['endpoint', 'apiurl', 'api_url', 'url', 'host', 'base_url']) {
    const res = await app.inject({ method: 'POST', url: '/backends', payload: { title: 't', provider: 'sandbox', api_key: 'k', [field]: 'http://169.254.169.254/latest' } })
    t.equal(res.statusCode, 400, field)
    t.match(json(res.body).errors, [{ pointer: `/body/${field}`, detail: 'is not a known property' }])
  }
  const backend = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 't', provider: 'sandbox', api_key: 'k' } })).body).id
  t.equal((await app.inject({ method: 'PUT', url: `/backends/${backend}`, payload: { endpoint: 'http://10.0.0.1/' } })).statusCode, 400)
  const xml = await app.inject({ method: 'PUT', url: `/backends/${backend}`, headers: { 'content-type': 'application/xml' }, payload: '<backend><endpoint>http://10.0.0.1/</endpoint></backend>' })
  t.equal(xml.statusCode, 400)
})

t.test('prototype-polluting keys are refused in JSON and XML; nothing is written', async (t) => {
  const app = await buildTestApp(t)
  const json400 = ['{"title":"t","provider":"sandbox","api_key":"k","__proto__":{"isAdmin":true}}',
    '{"title":"t","provider":"sandbox","api_key":"k","constructor":{"prototype":{"isAdmin":true}}}',
    '{"title":"t","provider":"sandbox","api_key":"k","faults":{"__proto__":{"x":"timeout"}}}']
  for (const payload of json400) {
    const res = await app.inject({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/json' }, payload })
    t.equal(res.statusCode, 400, payload)
  }
  const xml400 = ['<backend><title>t</title><provider>sandbox</provider><api_key>k</api_key><__proto__><isAdmin>true</isAdmin></__proto__></backend>',
    '<backend><title>t</title><provider>sandbox</provider><api_key>k</api_key><constructor><prototype>1</prototype></constructor></backend>',
    '<backend><title>t</title><provider>sandbox</provider><api_key>k</api_key><faults><entry key="__proto__">timeout</entry></faults></backend>',
    '<backend><title>t</title><provider>sandbox</provider><api_key>k</api_key><faults><entry key="constructor">timeout</entry></faults></backend>']
  for (const payload of xml400) {
    const res = await app.inject({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/xml' }, payload })
    t.equal(res.statusCode, 400, payload)
  }
  t.equal(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype untouched')
  t.equal(await app.db.backend.count(), 0)
})

t.test('entity expansion, deep nesting and oversized XML are refused', async (t) => {
  const app = await buildTestApp(t, { bodyLimitBytes: 4096 })
  const lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><backend><title>&lol2;</title></backend>'
  const xxe = '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><backend><title>&xxe;</title></backend>'
  for (const payload of [lol, xxe]) {
    const res = await app.inject({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/xml' }, payload })
    t.equal(res.statusCode, 400)
    t.notMatch(res.body, /root:/)
  }
  const deep = '<backend>' + '<title>'.repeat(200) + '</title>'.repeat(200) + '</backend>'
  t.equal((await app.inject({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/xml' }, payload: deep })).statusCode, 400)
  const big = '<backend><title>' + 'a'.repeat(5000) + '</title></backend>'
  t.equal((await app.inject({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/xml' }, payload: big })).statusCode, 413)
  t.equal((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'a'.repeat(5000) } })).statusCode, 413)
})

t.test('rate limits per token: 429 with Retry-After, in the negotiated format', async (t) => {
  const app = await buildTestApp(t, { rateLimitMax: 5, rateLimitWindowMs: 60_000 })
  const erin = await createUser(app, 'erin')
  const frank = await createUser(app, 'frank')
  const codes: number[] = []
  for (let i = 0; i < 7; i++) codes.push((await erin.inject({ method: 'GET', url: '/keys' })).statusCode)
  t.same(codes, [200, 200, 200, 200, 200, 429, 429])
  const limited = await erin.inject({ method: 'GET', url: '/keys', headers: { accept: 'application/xml' } })
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After')
  t.match(limited.headers['content-type'], /problem\+xml/)
  t.match(limited.body, /<type>\/problems\/rate-limited<\/type>/)
  t.equal((await frank.inject({ method: 'GET', url: '/keys' })).statusCode, 200, 'another token has its own budget')
})

t.test('an address that keeps failing to authenticate is throttled; good tokens are not', async (t) => {
  const app = await buildTestApp(t, { authFailuresMax: 3 })
  const codes: number[] = []
  for (const authorization of ['', 'Bearer nope', `Bearer stratus_${'z'.repeat(43)}`, 'Bearer again', 'Bearer more']) {
    codes.push((await app.inject({ method: 'GET', url: '/keys', headers: { authorization } })).statusCode)
  }
  t.same(codes, [401, 401, 401, 429, 429])
  const throttled = await app.inject({ method: 'GET', url: '/keys', headers: { authorization: 'Bearer x' } })
  t.ok(Number(throttled.headers['retry-after']) > 0)
  t.equal(json(throttled.body).type, '/problems/rate-limited')
  t.equal((await app.inject({ method: 'GET', url: '/health', headers: { authorization: '' } })).statusCode, 200, 'public routes stay open')
  t.equal((await app.inject({ method: 'GET', url: '/keys' })).statusCode, 200, 'a valid token from the same address is never refused')
})

t.test('security headers on the docs pages and on API answers', async (t) => {
  const app = await buildTestApp(t)
  const docs = await app.inject({ method: 'GET', url: '/docs/', headers: { authorization: '' } })
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-security-policy'], /default-src 'self'/)
  t.match(docs.headers['content-security-policy'], /object-src 'none'/)
  t.notMatch(docs.headers['content-security-policy'], /upgrade-insecure-requests/)
  t.match(docs.headers['content-security-policy'], /script-src 'self' ?;/, 'scripts from the server only, none inline')
  t.equal(docs.headers['x-content-type-options'], 'nosniff')
  t.equal(docs.headers['x-frame-options'], 'SAMEORIGIN')
  t.ok(docs.headers['referrer-policy'])
  t.ok(docs.headers['cross-origin-opener-policy'])
  for (const url of ['/backends', '/no/such/route', '/health']) {
    const api = await app.inject({ method: 'GET', url })
    t.equal(api.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", url)
    t.equal(api.headers['x-content-type-options'], 'nosniff')
    t.equal(api.headers['x-frame-options'], 'DENY')
    t.equal(api.headers['cache-control'], 'no-store', 'answers that may hold secrets are never cached')
  }
  const unauthorized = await app.inject({ method: 'GET', url: '/api/machine', headers: { authorization: '' } })
  t.equal(unauthorized.headers['x-content-type-options'], 'nosniff', 'problems too')
})

t.test('on every route that takes a body, an XML text longer than any field is refused before parsing', async (t) => {
  // The scan bounds a text by the route's longest field; one string without maxLength anywhere in
  // a body schema would make that bound infinite and let a huge text reach the parser.
  const app = await buildTestApp(t)
  const document = app.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string, requestBody?: unknown }>> }
  let routes = 0
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (operation.requestBody === undefined) continue
      routes++
      const limit = operation.operationId === 'createMachine' ? 131_072 : 32_768
      const payload = `<body><field>${'a'.repeat(limit - 100)}</field></body>`
      const res = await app.inject({ method: method.toUpperCase(), url: path.replace(/\{[^}]+\}/g, 'x1'), headers: { 'content-type': 'application/xml' }, payload })
      t.equal(res.statusCode, 400, `${method.toUpperCase()} ${path}`)
      t.match(json(res.body).detail, /longer than \d+ characters/, `${operation.operationId}: refused by the scan`)
    }
  }
  t.ok(routes >= 13, `${routes} routes take a body`)
})
