import t from 'tap'
import { TEST_ADMIN_TOKEN } from './helper.ts'
import { startServer } from './started-server.ts'
import { exerciseEveryEndpoint } from './every-endpoint.ts'

/** The real entry point, started as a process: both formats over HTTP, clean shutdown, quiet logs. */
t.test('a started server answers JSON and XML over HTTP and keeps secrets out of its logs', async (t) => {
  const server = await startServer(t, { LOG_LEVEL: 'debug' })
  const base = server.base

  const call = async (method: string, path: string, body?: string, type = 'application/json', accept = 'application/json') => {
    const res = await fetch(base + path, { method, body, headers: { accept, authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': type }) } })
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() }
  }

  const backend = await call('POST', '/backends', '<backend><title>Live</title><provider>sandbox</provider><api_key>live-secret-api-key</api_key><boot_delay_ms>20</boot_delay_ms><stop_delay_ms>20</stop_delay_ms></backend>', 'application/xml', 'application/xml')
  t.equal(backend.status, 201)
  t.match(backend.type, /^application\/xml/)
  const backendId = /<id>([^<]+)<\/id>/.exec(backend.text)![1]
  const key = JSON.parse((await call('POST', '/keys', JSON.stringify({ name: 'live' }))).text)
  const created = await call('POST', `/backends/${backendId}/machines`, JSON.stringify({ name: 'live-1', key: key.id, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small' }))
  t.equal(created.status, 201)

  let details: any
  for (let i = 0; i < 200; i++) {
    details = JSON.parse((await call('GET', '/api/machine/1')).text)
    if (details.state === 'active') break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal(details.state, 'active')
  const xmlList = await call('GET', '/api/machine', undefined, undefined, 'text/xml')
  t.match(xmlList.type, /^text\/xml/)
  t.match(xmlList.text, new RegExp(`<machines><machine><id>1</id><url>${base}/api/machine/1</url><state>active</state></machine></machines>`))
  t.equal((await call('POST', '/api/machine/1/control', '<control><action>stop</action></control>', 'application/xml')).status, 204)
  t.equal((await call('GET', '/api/machine/1', undefined, undefined, 'text/html')).status, 406)

  await t.test('every endpoint, in JSON and XML, over HTTP', async (t) => {
    await exerciseEveryEndpoint(t, async (method, path, { body, contentType, accept }) => {
      const res = await fetch(base + path, { method, body, headers: { accept, authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(contentType === undefined ? {} : { 'content-type': contentType }) } })
      return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text(), location: res.headers.get('location') ?? undefined }
    })
  })

  t.equal(await server.stop(), 0, 'shuts down cleanly on SIGTERM')
  const logs = server.logs()
  t.match(logs, /"method":"POST","url":"\/backends","status":201/, 'requests were logged, one line each')
  t.notMatch(logs, /incoming request/, 'not two lines each')
  t.notMatch(logs, /live-secret-api-key/, 'no credential in the logs')
  t.notMatch(logs, new RegExp(details.adminPassword), 'no admin password in the logs')
  t.notMatch(logs, /PRIVATE KEY/, 'no private key in the logs')
  t.notMatch(logs, new RegExp(TEST_ADMIN_TOKEN), 'no token in the logs')
  t.notMatch(logs, /stratus_[0-9A-Za-z]{43}/, 'no token of any user in the logs')
})
