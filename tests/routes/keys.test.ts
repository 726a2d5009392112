import t from 'tap'
import { buildTestApp, json } from '../helper.ts'

const PUBLIC = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop'

t.test('keys: register, generate (private key once), list, delete', async (t) => {
  const app = await buildTestApp(t)
  const registered = await app.inject({ method: 'POST', url: '/keys', payload: { name: 'alice', public_key: PUBLIC } })
  t.equal(registered.statusCode, 201)
  t.match(json(registered.body), { id: String, name: 'alice', public_key: PUBLIC, fingerprint: /^SHA256:/ })
  t.notOk('private_key' in json(registered.body))

  const generated = await app.inject({ method: 'POST', url: '/keys', payload: { name: 'generated' }, headers: { accept: 'application/xml' } })
  t.equal(generated.statusCode, 201)
  t.match(generated.body, /<private_key>-----BEGIN OPENSSH PRIVATE KEY-----\n/)
  const privateKey = /<private_key>([^<]+)<\/private_key>/.exec(generated.body)![1]!

  const list = await app.inject({ method: 'GET', url: '/keys' })
  t.same(json(list.body).map((k: { name: string }) => k.name), ['alice', 'generated'])
  t.notMatch(list.body, /PRIVATE KEY/, 'never answered again')
  const stored = await app.db.key.findFirstOrThrow({ where: { name: 'generated' } })
  t.notMatch(stored.privateKey!, /PRIVATE KEY/, 'sealed at rest')
  t.equal(app.secrets.open(stored.privateKey!), privateKey.replace(/&#xA;/g, '\n'))

  t.equal((await app.inject({ method: 'POST', url: '/keys', payload: { name: 'alice' } })).statusCode, 409, 'names are unique')
  const bad = await app.inject({ method: 'POST', url: '/keys', payload: { name: 'bad', public_key: 'ssh-rsa nonsense' } })
  t.equal(bad.statusCode, 422, 'well-formed by the schema, but no key of its type')
  t.equal(json(bad.body).errors[0].pointer, '/body/public_key')
  t.equal((await app.inject({ method: 'POST', url: '/keys', payload: { name: 'bad', public_key: 'not a key' } })).statusCode, 400, 'not even of the form')

  const id = json(registered.body).id
  t.equal((await app.inject({ method: 'DELETE', url: `/keys/${id}` })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/keys/${id}` })).statusCode, 404)
})

t.test('POST /keys takes an object or no body at all; a JSON null is refused, not taken for none', async (t) => {
  const app = await buildTestApp(t)
  const none = await app.inject({ method: 'POST', url: '/keys' })
  t.equal(none.statusCode, 200, 'no body: a pair is generated and nothing kept')
  const empty = await app.inject({ method: 'POST', url: '/keys', headers: { 'content-length': '0' } })
  t.equal(empty.statusCode, 200, 'an empty body is no body (as python-requests sends it)')
  const nullBody = await app.inject({ method: 'POST', url: '/keys', headers: { 'content-type': 'application/json' }, payload: 'null' })
  t.equal(nullBody.statusCode, 400, 'null is neither an object nor a body left out')
  t.match(json(nullBody.body), { type: '/problems/validation-failed', errors: [{ pointer: '/body' }] })
  const xmlNil = await app.inject({ method: 'POST', url: '/keys', headers: { 'content-type': 'application/json', accept: 'application/xml' }, payload: 'null' })
  t.equal(xmlNil.statusCode, 400)
  t.match(xmlNil.headers['content-type'], /problem\+xml/)
  t.equal(await app.db.key.count(), 0, 'nothing kept')
})
