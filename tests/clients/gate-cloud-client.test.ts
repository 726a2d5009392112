import t from 'tap'
import { TEST_ADMIN_TOKEN } from '../helper.ts'
import { rawRequest, startServer, type RawAnswer } from '../started-server.ts'

/**
 * The GATE Cloud Java client (GateNLP/cloud-client: RestClient, MachineManager, Machine), replayed
 * request for request through a started server: HttpURLConnection's headers, Basic
 * authentication with the API key id as user and the key as password (RestClient builds
 * "Basic " + base64(id + ":" + password)), Accept: application/json on every call, JSON bodies
 * with Content-Type: application/json, the absolute `url` of each list entry followed as given,
 * `message` read from error bodies.
 */
const javaHeaders = (authorization: string, host: string): Array<[string, string]> => [
  ['Authorization', authorization],
  ['Accept', 'application/json'],
  ['User-Agent', 'Java/17.0.15'],
  ['Host', host],
  ['Connection', 'keep-alive']
]

t.test('the GATE Cloud client works unchanged against the machine API', async (t) => {
  const server = await startServer(t, { AUTH_FAILURES_MAX: '1000' })
  const host = new URL(server.base).host
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.base + path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } })
    return { status: res.status, location: res.headers.get('location'), body: res.status === 204 ? null : await res.json() as any }
  }

  // Set-up through the backends API, as the GATE Cloud shop would have done it.
  const backend = (await admin('POST', '/backends', { title: 'gate', provider: 'sandbox', api_key: 'k', boot_delay_ms: 20, stop_delay_ms: 20 })).body.id
  await admin('POST', '/keys', { name: 'gate-key' })
  const created = await admin('POST', `/backends/${backend}/machines`, { name: 'mimir-1', image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small', kind: 'mimir' })
  t.equal(created.status, 201, 'created with the default key')
  const token = (await admin('POST', '/api/tokens', { name: 'GATE Cloud client' })).body
  const basic = (id: string, password: string) => 'Basic ' + Buffer.from(`${id}:${password}`, 'utf8').toString('base64')
  const authorization = basic(token.id, token.token)

  // baseUrl=<server>/api/ with the trailing slash: relative targets resolve under it.
  const baseUrl = new URL('/api/', server.base)
  const java = async (target: string, method = 'GET', body?: unknown): Promise<RawAnswer & { json: any }> => {
    const url = new URL(target, baseUrl).toString()
    const headers = javaHeaders(authorization, host)
    const payload = body === undefined ? undefined : JSON.stringify(body)
    if (payload !== undefined) headers.push(['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(payload))])
    const res = await rawRequest(url, method, headers, payload)
    return { ...res, json: res.body === '' ? null : JSON.parse(res.body) }
  }

  const waitFor = async (url: string, state: string) => {
    for (let i = 0; i < 300; i++) {
      const res = await java(url)
      if (res.json.state === state) return res.json
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    throw new Error(`${url} never became ${state}`)
  }

  // MachineManager.listMachines(): GET machine, with and without ?state=
  const all = await java('machine')
  t.equal(all.status, 200)
  t.equal(all.json.length, 1)
  const summary = all.json[0]
  t.match(summary, { id: Number, url: `${server.base}/api/machine/${summary.id}` }, 'an absolute url, followed as given')
  const active = await waitFor(summary.url, 'active')
  t.same((await java('machine?state=active')).json.map((m: any) => m.id), [summary.id])
  t.same((await java('machine?state=inactive&state=stopping')).json, [])

  // Machine details: what the CLI prints, launch date included.
  t.match(active, { id: summary.id, name: 'mimir-1', state: 'active', kind: 'mimir', hourlyPrice: 0.015, adminPassword: String })
  t.ok(Date.parse(active.lastTransition) > 0, 'lastTransition parses as a date')
  t.ok(Date.parse(active.launchTime) > 0, 'launchTime parses as a date')
  t.equal(active.launchTime, active.lastTransition, 'active since its last transition')
  t.ok(new URL(active.publicUrl), 'publicUrl is a URL')

  // Machine.rename(): POST {url} {"name": ...}, the answer read for update.
  const renamed = await java(summary.url, 'POST', { name: 'mimir renamed' })
  t.equal(renamed.status, 200)
  t.equal(renamed.json.name, 'mimir renamed')

  // Machine.stop() / start(): POST {url}/control, then refresh().
  t.equal((await java(`${summary.url as string}/control`, 'POST', { action: 'stop' })).status, 204)
  const inactive = await waitFor(summary.url, 'inactive')
  t.equal(inactive.launchTime, undefined, 'no launch date while inactive')
  t.equal(inactive.publicUrl, undefined)

  // stop on an inactive machine: the client shows "Server returned response code 409: <message>".
  const refused = await java(`${summary.url as string}/control`, 'POST', { action: 'stop' })
  t.equal(refused.status, 409)
  t.match(refused.json, { message: 'cannot stop a machine that is inactive', state: 'inactive', allowed_actions: ['start'] }, 'in the machine API\'s own words')
  t.equal((await java(`${summary.url as string}/control`, 'POST', { action: 'start' })).status, 204)
  await waitFor(summary.url, 'active')

  // An unknown id.
  const unknown = await java('machine/999999')
  t.equal(unknown.status, 404)
  t.match(unknown.json.message, /machine 999999 does not exist/)

  await t.test('Basic authentication fails as bearer does, and is throttled the same way', async (t) => {
    const check = async (header: string, why: string): Promise<void> => {
      const res = await rawRequest(`${server.base}/api/machine`, 'GET', javaHeaders(header, host))
      t.equal(res.status, 401, why)
      t.equal(res.headers['www-authenticate']?.toString().startsWith('Bearer realm="stratus"'), true, `${why}: the challenge stays Bearer`)
      t.match(JSON.parse(res.body), { type: '/problems/unauthorized', message: String }, `${why}: a problem document`)
    }
    await check(basic(token.id, `${token.token as string}x`), 'a wrong password')
    await check(basic('someOtherTokenId', token.token), 'another token\'s id as user')
    await check('Basic ' + Buffer.from('no-colon').toString('base64'), 'no colon')
    await check('Basic !!!not-base64!!!', 'not base64')
    await check(basic(token.id, ''), 'an empty password')
    await check('Basic', 'no credentials at all')
    const expiring = (await admin('POST', '/api/tokens', { name: 'short', expires_at: new Date(Date.now() + 1500).toISOString() })).body
    t.equal((await rawRequest(`${server.base}/api/machine`, 'GET', javaHeaders(basic(expiring.id, expiring.token), host))).status, 200, 'works until it expires')
    await new Promise((resolve) => setTimeout(resolve, 1600))
    await check(basic(expiring.id, expiring.token), 'an expired token')
    const revoked = (await admin('POST', '/api/tokens', { name: 'revoked' })).body
    t.equal((await admin('DELETE', `/api/tokens/${revoked.id as string}`)).status, 204)
    await check(basic(revoked.id, revoked.token), 'a revoked token')
    t.equal((await java('machine')).status, 200, 'the right one still works')
    t.equal((await fetch(`${server.base}/api/machine`, { headers: { authorization: `Bearer ${token.token as string}` } })).status, 200, 'and the same token as bearer')
  })

  t.equal(await server.stop(), 0)
  t.notMatch(server.logs(), new RegExp(token.token), 'the token is not logged')
})

t.test('failed Basic authentications count toward the address\'s throttle', async (t) => {
  const server = await startServer(t, { AUTH_FAILURES_MAX: '3' })
  const host = new URL(server.base).host
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) {
    statuses.push((await rawRequest(`${server.base}/api/machine`, 'GET', javaHeaders('Basic ' + Buffer.from(`id:stratus_${'x'.repeat(43)}`).toString('base64'), host))).status)
  }
  t.same(statuses, [401, 401, 401, 429, 429])
  t.equal(await server.stop(), 0)
})
