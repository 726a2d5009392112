import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { buildApp } from '../../src/app.ts'
import { hashToken } from '../../src/domain/tokens.ts'
import { buildTestApp, createTestDatabase, createUser, json, TEST_ADMIN_TOKEN, TEST_SECRET_KEY, testConfig } from '../helper.ts'

const run = promisify(execFile)

t.test('public routes need no token; every other route answers 401 with a challenge', async (t) => {
  const app = await buildTestApp(t)
  for (const url of ['/health', '/problems/not-found', '/openapi.json', '/openapi.yaml', '/docs/']) {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: '' } })
    t.equal(res.statusCode, 200, url)
  }
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{}, /^Bearer realm="stratus"$/],
    [{ authorization: 'Basic YWRtaW46YWRtaW4=' }, /^Bearer realm="stratus", error="invalid_token"$/],
    [{ authorization: 'Token abc' }, /^Bearer realm="stratus", error="invalid_request"$/],
    [{ authorization: 'Bearer not-a-token' }, /^Bearer realm="stratus", error="invalid_token"$/],
    [{ authorization: `Bearer stratus_${'x'.repeat(43)}` }, /error="invalid_token"/]
  ]
  for (const [headers, challenge] of cases) {
    for (const url of ['/backends', '/api/machine', '/api/machine/1', '/keys', '/no/such/route']) {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: '', ...headers } })
      t.equal(res.statusCode, 401, `${url} ${JSON.stringify(headers)}`)
      t.match(res.headers['www-authenticate'], challenge)
      t.match(json(res.body), { type: '/problems/unauthorized', status: 401 })
    }
  }
  const xml = await app.inject({ method: 'POST', url: '/backends', headers: { authorization: '', accept: 'application/xml' }, payload: { title: 'x' } })
  t.equal(xml.statusCode, 401)
  t.match(xml.headers['content-type'], /^application\/problem\+xml/)
  t.match(xml.body, /<problem><type>\/problems\/unauthorized<\/type>/)
  t.equal(await app.db.backend.count(), 0)
})

t.test('tokens: shown once, kept as a hash, listed without secret, expiring, revocable at once', async (t) => {
  const app = await buildTestApp(t)
  const alice = await createUser(app, 'alice')
  const created = await alice.inject({ method: 'POST', url: '/api/tokens', payload: { name: 'laptop' } })
  t.equal(created.statusCode, 201)
  const { token, id, prefix } = json(created.body)
  t.match(token, /^stratus_[0-9A-Za-z]{43}$/)
  t.equal(prefix, token.slice(0, 14))
  const stored = await app.db.apiToken.findUniqueOrThrow({ where: { id } })
  t.equal(stored.tokenHash, hashToken(token), 'only the hash is kept')
  t.notMatch(JSON.stringify(stored), token)

  const list = await alice.inject({ method: 'GET', url: '/api/tokens' })
  t.same(json(list.body).map((k: { name: string }) => k.name), ["alice's token", 'laptop'])
  t.notMatch(list.body, /stratus_[0-9A-Za-z]{43}/, 'no secret in the list')

  const asLaptop = { authorization: `Bearer ${token}` }
  t.equal((await app.inject({ method: 'GET', url: '/backends', headers: asLaptop })).statusCode, 200)
  t.equal((await alice.inject({ method: 'DELETE', url: `/api/tokens/${id}` })).statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: '/backends', headers: asLaptop })).statusCode, 401, 'revoked at once')
  t.ok((await app.db.apiToken.findUniqueOrThrow({ where: { id } })).revokedAt)

  const soon = await alice.inject({ method: 'POST', url: '/api/tokens', payload: { name: 'short', expires_at: new Date(Date.now() + 300).toISOString() } })
  const short = { authorization: `Bearer ${json(soon.body).token}` }
  t.equal((await app.inject({ method: 'GET', url: '/keys', headers: short })).statusCode, 200)
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.equal((await app.inject({ method: 'GET', url: '/keys', headers: short })).statusCode, 401, 'expired')
  t.equal((await alice.inject({ method: 'POST', url: '/api/tokens', payload: { name: 'past', expires_at: '2001-01-01T00:00:00Z' } })).statusCode, 422)
})

t.test('users are an administrator\'s business', async (t) => {
  const app = await buildTestApp(t)
  const bob = await createUser(app, 'bob')
  t.equal((await bob.inject({ method: 'GET', url: '/api/users' })).statusCode, 403)
  const refused = await bob.inject({ method: 'POST', url: '/api/users', payload: { name: 'mallory', admin: true }, headers: { accept: 'application/xml' } })
  t.equal(refused.statusCode, 403)
  t.match(refused.body, /<type>\/problems\/forbidden<\/type>/)
  t.equal((await app.inject({ method: 'POST', url: '/api/users', payload: { name: 'bob' } })).statusCode, 409)
  const users = json((await app.inject({ method: 'GET', url: '/api/users' })).body)
  t.same(users.map((u: { name: string, admin: boolean }) => [u.name, u.admin]), [['admin', true], ['bob', false]])
})

t.test('a fresh server creates the first admin and prints its token once, never to the logs', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  let logs = ''
  const printed: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  process.stderr.write = ((chunk: string) => { printed.push(String(chunk)); return true }) as typeof process.stderr.write
  let app
  try {
    app = await buildApp(testConfig({ databaseUrl: database.url, adminToken: undefined, logLevel: 'trace' }), { logStream: { write: (line) => { logs += line } } })
  } finally {
    process.stderr.write = write
  }
  t.teardown(() => app.close())
  const token = /stratus_[0-9A-Za-z]{43}/.exec(printed.join(''))?.[0]
  t.ok(token, 'the token was printed')
  t.equal((await app.inject({ method: 'GET', url: '/api/users', headers: { authorization: `Bearer ${token}` } })).statusCode, 200, 'and is an admin\'s')
  t.notMatch(logs, token!)
  await app.close()

  printed.length = 0
  process.stderr.write = ((chunk: string) => { printed.push(String(chunk)); return true }) as typeof process.stderr.write
  try {
    const again = await buildApp(testConfig({ databaseUrl: database.url, adminToken: undefined }))
    await again.close()
  } finally {
    process.stderr.write = write
  }
  t.notMatch(printed.join(''), /stratus_/, 'printed once only')
})

t.test('npm run token creates users and tokens, lists and revokes them', async (t) => {
  const app = await buildTestApp(t, { authCacheMs: 0 })
  const env = { ...process.env, DATABASE_URL: app.databaseUrl, STRATUS_SECRET_KEY: TEST_SECRET_KEY }
  const cli = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], { env })
  const created = await cli('create', 'carol', '--name', 'ci', '--expires-in', '30')
  const token = /stratus_[0-9A-Za-z]{43}/.exec(created.stdout)![0]
  const tokenId = /token ([0-9A-Za-z]+)/.exec(created.stdout)![1]!
  t.match(created.stdout, /user carol/)
  t.equal((await app.inject({ method: 'GET', url: '/api/tokens', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/users', headers: { authorization: `Bearer ${token}` } })).statusCode, 403, 'not an admin')
  const list = await cli('list', 'carol')
  t.match(list.stdout, new RegExp(`${tokenId} +stratus_\\w{6}… +active +ci`))
  t.notMatch(list.stdout, token)
  await cli('revoke', tokenId)
  t.match((await cli('list', 'carol')).stdout, /revoked/)
  t.equal((await app.inject({ method: 'GET', url: '/api/tokens', headers: { authorization: `Bearer ${token}` } })).statusCode, 401)
  t.match((await cli('users')).stdout, /admin +\(administrator\)[\s\S]*carol/)
  await t.rejects(cli('frobnicate'), /usage/)
  t.ok(TEST_ADMIN_TOKEN)
})
