import t from 'tap'
import { addKey, addSandboxBackend, buildTestApp, createMachine, json, waitForState } from '../helper.ts'

t.test('machine API: list, details, rename, control', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app)
  const key = await addKey(app)
  const machine = await createMachine(app, backend, key, { name: 'gate-1' })

  const details = await waitForState(app, machine.id, 'active')
  t.equal(details.name, 'gate-1')
  t.equal(details.hourlyPrice, 0.015)
  t.equal(details.kind, 'vm')
  t.match(details.publicUrl, /^https:\/\//)
  t.match(details.adminPassword, /^[A-Za-z0-9]{20}$/)

  const list = await app.inject({ method: 'GET', url: '/api/machine', headers: { host: 'stratus.test' } })
  t.same(json(list.body), [{ id: machine.id, url: `http://stratus.test/api/machine/${machine.id}`, state: 'active' }])

  const stop = await app.inject({ method: 'POST', url: `/api/machine/${machine.id}/control`, payload: { action: 'stop' } })
  t.equal(stop.statusCode, 204)
  const stopped = await waitForState(app, machine.id, 'inactive')
  t.notOk('publicUrl' in stopped, 'publicUrl only while active')
})
