import t from 'tap'
import { addSandboxBackend, buildTestApp, json } from '../helper.ts'

t.test('content negotiation and problem details', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const get = (accept?: string) => app.inject({ method: 'GET', url: `/backends/${backend}`, headers: accept === undefined ? {} : { accept } })

  t.test('JSON by default, for */* and for application/json', async (t) => {
    for (const accept of [undefined, '*/*', 'application/json', 'application/*']) {
      const res = await get(accept)
      t.equal(res.statusCode, 200)
      t.match(res.headers['content-type'], /^application\/json/, String(accept))
      t.equal(json(res.body).id, backend)
    }
  })

  t.test('XML for application/xml and text/xml, honouring q-values', async (t) => {
    t.match((await get('application/xml')).headers['content-type'], /^application\/xml/)
    t.match((await get('text/xml')).headers['content-type'], /^text\/xml/)
    t.match((await get('application/json;q=0.5, application/xml')).headers['content-type'], /^application\/xml/)
    t.match((await get('application/xml;q=0.1, application/json;q=0.9')).headers['content-type'], /^application\/json/)
    t.match((await get('text/html, application/xml;q=0.8')).headers['content-type'], /^application\/xml/)
    const res = await get('application/xml')
    t.match(res.body, new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<backend><id>${backend}</id><title>Sandbox</title><provider>sandbox</provider>`))
    t.equal(res.headers.vary, 'Accept')
  })

  t.test('an empty body sent with its Content-Type is no body where none is needed, and still refused where one is', async (t) => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/xml', 'text/xml']) {
      const headers = { 'content-type': type }
      const generated = await app.inject({ method: 'POST', url: '/keys', headers, payload: '' })
      t.equal(generated.statusCode, 200, `${type}: POST /keys (body optional) generates a pair`)
      t.match(generated.body, /BEGIN OPENSSH PRIVATE KEY/)
      const deleted = await app.inject({ method: 'DELETE', url: '/keys/nope', headers, payload: '' })
      t.equal(deleted.statusCode, 404, `${type}: DELETE (no body) reaches its route`)
      const control = await app.inject({ method: 'POST', url: '/api/machine/1/control', headers, payload: '' })
      t.equal(control.statusCode, 400, `${type}: a required body left empty is refused`)
      t.match(json(control.body), { type: /\/problems\/(malformed-body|validation-failed)/ })
    }
    const parsed = await app.inject({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: JSON.stringify({ title: 'Charset', provider: 'sandbox', api_key: 'k' }) })
    t.equal(parsed.statusCode, 201, 'a JSON body with a charset parameter is read as before')
  })

  t.test('406 when nothing acceptable, as a JSON problem', async (t) => {
    const res = await get('text/html')
    t.equal(res.statusCode, 406)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(json(res.body), { type: '/problems/not-acceptable', status: 406, title: String, detail: /text\/html/ })
    t.equal((await get('application/xml;q=0, application/json;q=0')).statusCode, 406)
  })

  t.test('errors are problems in the negotiated format', async (t) => {
    const missing = await app.inject({ method: 'GET', url: '/backends/nope', headers: { accept: 'application/xml' } })
    t.equal(missing.statusCode, 404)
    t.match(missing.headers['content-type'], /^application\/problem\+xml/)
    t.match(missing.body, /<problem><type>\/problems\/not-found<\/type><title>No such resource<\/title><status>404<\/status><detail>backend nope does not exist<\/detail><message>backend nope does not exist<\/message><instance>\/backends\/nope<\/instance><\/problem>$/)
    const route = await app.inject({ method: 'GET', url: '/no/such/route' })
    t.equal(route.statusCode, 404)
    t.equal(json(route.body).type, '/problems/not-found')
    const described = await app.inject({ method: 'GET', url: '/problems/not-found' })
    t.same(json(described.body), { type: '/problems/not-found', title: 'No such resource', status: 404 })
  })

  t.test('bodies: JSON or XML by Content-Type, 415 otherwise, 400 when malformed', async (t) => {
    const post = (payload: string, contentType: string, accept = 'application/json') =>
      app.inject({ method: 'POST', url: '/backends', payload, headers: { 'content-type': contentType, accept } })
    const xml = await post('<backend><title>From XML</title><provider>sandbox</provider><api_key>k-123456</api_key><boot_delay_ms>5</boot_delay_ms><faults><entry key="reboot">timeout</entry></faults></backend>', 'application/xml')
    t.equal(xml.statusCode, 201, xml.body)
    t.match(json(xml.body), { title: 'From XML', settings: { boot_delay_ms: 5, faults: { reboot: 'timeout' } } })
    t.equal((await post('<backend><title>T</title><provider>sandbox</provider><api_key>k</api_key></backend>', 'text/xml; charset=utf-8')).statusCode, 201)

    const unsupported = await post('title=x', 'application/x-www-form-urlencoded')
    t.equal(unsupported.statusCode, 415)
    t.equal(json(unsupported.body).type, '/problems/unsupported-media-type')

    const badJson = await post('{"title":', 'application/json')
    t.equal(badJson.statusCode, 400)
    t.equal(json(badJson.body).type, '/problems/malformed-body')

    const badXml = await post('<backend><title>x</backend>', 'application/xml', 'application/xml')
    t.equal(badXml.statusCode, 400)
    t.match(badXml.headers['content-type'], /^application\/problem\+xml/)
    t.match(badXml.body, /<type>\/problems\/malformed-body<\/type>/)

    const doctype = await post('<!DOCTYPE b [<!ENTITY x "y">]><backend><title>&x;</title></backend>', 'application/xml')
    t.equal(doctype.statusCode, 400)
    t.match(json(doctype.body).detail, /DOCTYPE/)
  })

  t.test('XML bodies are validated by the same schema as JSON ones', async (t) => {
    const viaXml = await app.inject({
      method: 'POST',
      url: '/backends',
      headers: { 'content-type': 'application/xml' },
      payload: '<backend><title></title><provider>sandbox</provider><boot_delay_ms>soon</boot_delay_ms><color>red</color></backend>'
    })
    const viaJson = await app.inject({
      method: 'POST', url: '/backends', payload: { title: '', provider: 'sandbox', boot_delay_ms: 'soon', color: 'red' }
    })
    t.equal(viaXml.statusCode, 400)
    t.equal(viaJson.statusCode, 400)
    const pointers = (res: { body: string }) => json(res.body).errors.map((e: { pointer: string }) => e.pointer).sort()
    t.same(pointers(viaXml), pointers(viaJson))
    t.ok(pointers(viaJson).includes('/body/color'), 'unknown properties are named')
  })

  t.test('oversized bodies are 413', async (t) => {
    const big = await app.inject({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/xml' }, payload: '<backend><title>' + 'x'.repeat(1_100_000) + '</title></backend>' })
    t.equal(big.statusCode, 413)
    t.equal(json(big.body).type, '/problems/body-too-large')
  })
})
