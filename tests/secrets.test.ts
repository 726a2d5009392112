import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { buildApp } from '../src/app.ts'
import { SecretBox } from '../src/domain/secret-box.ts'
import { resealSecrets } from '../src/services/secret-check.ts'
import { addSandboxBackend, authorize, buildTestApp, createMachine, createTestDatabase, createUser, json, TEST_ADMIN_TOKEN, testConfig, waitForState } from './helper.ts'

const run = promisify(execFile)

t.test('a database dump holds no secret and no token in clear text', async (t) => {
  const app = await buildTestApp(t)
  const apiKey = 'dump-test-cloud-credential-1234'
  const backend = await addSandboxBackend(app, { api_key: apiKey })
  const generated = json((await app.inject({ method: 'POST', url: '/keys', payload: { name: 'dumped' } })).body)
  const machine = await createMachine(app, backend, generated.id)
  const { adminPassword } = await waitForState(app, machine.id, 'active')
  const user = await createUser(app, 'dora')
  const extra = json((await user.inject({ method: 'POST', url: '/api/tokens', payload: { name: 'x' } })).body).token

  const { stdout: dump } = await run('pg_dump', ['--data-only', '--inserts', app.databaseUrl], { maxBuffer: 64 * 1024 * 1024 })
  t.match(dump, /INSERT INTO public\.backends/, 'the dump has the data')
  const privateKeyBody = generated.private_key.split('\n')[1]
  for (const [what, secret] of [['cloud credential', apiKey], ['admin password', adminPassword], ['private key', privateKeyBody],
    ['admin token', TEST_ADMIN_TOKEN], ['user token', user.token], ['second token', extra]] as const) {
    t.notOk(dump.includes(secret), `no ${what} in the dump`)
  }
  t.notMatch(dump, /stratus_[0-9A-Za-z]{43}/, 'no token of any shape')
})

t.test('a changed key fails loudly at start; re-sealing makes the new key work', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  const oldKey = Buffer.alloc(32, 1)
  const newKey = Buffer.alloc(32, 2)
  const first = authorize(await buildApp(testConfig({ databaseUrl: database.url, secretKey: oldKey.toString('base64') })))
  const backend = await addSandboxBackend(first)
  const key = json((await first.inject({ method: 'POST', url: '/keys', payload: { name: 'k' } })).body).id
  const machine = await createMachine(first, backend, key)
  const { adminPassword } = await waitForState(first, machine.id, 'active')
  await first.close()

  await t.rejects(buildApp(testConfig({ databaseUrl: database.url, secretKey: newKey.toString('base64') })), /STRATUS_SECRET_KEY does not open the secrets in this database/)

  const restarted = authorize(await buildApp(testConfig({ databaseUrl: database.url, secretKey: oldKey.toString('base64') })))
  const counts = await resealSecrets(restarted.db, new SecretBox(oldKey), new SecretBox(newKey))
  t.same(counts, { backends: 1, machines: 1, keys: 1 })
  await restarted.close()
  await t.rejects(buildApp(testConfig({ databaseUrl: database.url, secretKey: oldKey.toString('base64') })), /does not open/, 'the old key no longer opens them')

  const rekeyed = authorize(await buildApp(testConfig({ databaseUrl: database.url, secretKey: newKey.toString('base64') })))
  t.teardown(() => rekeyed.close())
  t.equal(json((await rekeyed.inject({ method: 'GET', url: `/api/machine/${machine.id}` })).body).adminPassword, adminPassword)
  t.equal((await rekeyed.inject({ method: 'GET', url: `/backends/${backend}/machines` })).statusCode, 200, 'credentials open too')
})

t.test('logs redact authorization headers, credentials and passwords', async (t) => {
  const database = await createTestDatabase()
  t.teardown(() => database.drop())
  let logs = ''
  const app = authorize(await buildApp(testConfig({ databaseUrl: database.url, logLevel: 'trace' }), { logStream: { write: (line) => { logs += line } } }))
  t.teardown(() => app.close())
  const backend = await addSandboxBackend(app, { api_key: 'log-test-credential' })
  const key = json((await app.inject({ method: 'POST', url: '/keys', payload: { name: 'k' } })).body).id
  const machine = await createMachine(app, backend, key)
  const { adminPassword } = await waitForState(app, machine.id, 'active')
  await app.inject({ method: 'POST', url: '/backends', payload: { title: 'x', provider: 'sandbox', api_key: 'bad-request-credential', nonsense: 1 } })
  app.log.info({ api_key: 'logged-on-purpose', req: { headers: { authorization: 'Bearer logged-on-purpose' } }, backend: { credentials: 'logged-on-purpose', adminPassword: 'logged-on-purpose' } }, 'a careless log line')
  t.match(logs, /a careless log line/)
  t.match(logs, /\[redacted\]/)
  for (const secret of ['log-test-credential', 'bad-request-credential', adminPassword, TEST_ADMIN_TOKEN, 'logged-on-purpose']) {
    t.notOk(logs.includes(secret), `"${secret.slice(0, 12)}…" is not in the logs`)
  }
})
