import t from 'tap'
import { buildTestApp, json } from '../helper.ts'
import { startServer } from '../started-server.ts'

t.test('/ready: ready once started, 503 problem from SIGTERM on while /health stays live, then exit', async (t) => {
  const server = await startServer(t, { SHUTDOWN_DRAIN_MS: '1500' })
  const ready = await fetch(`${server.base}/ready`)
  t.equal(ready.status, 200)
  t.same(await ready.json(), { status: 'ready', database: 'up', jobs: 'working' })

  const stopped = server.stop()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const draining = await fetch(`${server.base}/ready`, { headers: { accept: 'application/xml' } })
  t.equal(draining.status, 503, 'draining: not ready')
  t.match(draining.headers.get('content-type'), /^application\/problem\+xml/)
  t.match(await draining.text(), /<type>\/problems\/not-ready<\/type>/)
  t.equal((await fetch(`${server.base}/health`)).status, 200, 'still alive and serving while the load balancer notices')
  t.equal(await stopped, 0, 'then it exits cleanly')
})

t.test('STRATUS_ROLE: an api server sends jobs only; a worker answers only /health and /ready', async (t) => {
  const api = await buildTestApp(t, { role: 'api' })
  t.match(json((await api.inject({ method: 'GET', url: '/ready' })).body), { status: 'ready', jobs: 'sending only' })
  t.equal((await api.inject({ method: 'GET', url: '/api/machine' })).statusCode, 200)

  const worker = await buildTestApp(t, { role: 'worker' })
  t.match(json((await worker.inject({ method: 'GET', url: '/ready' })).body), { status: 'ready', jobs: 'working' })
  t.equal((await worker.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  t.equal((await worker.inject({ method: 'GET', url: '/api/machine' })).statusCode, 404, 'no API on a worker')
})
