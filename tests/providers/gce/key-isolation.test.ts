import t from 'tap'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GceFake } from '../../fakes/gce-fake.ts'
import { directGceDriver } from './direct-driver.ts'

// Each GCE backend's clients are built from its own key only: two projects' calls interleave,
// and every request must carry a JWT signed by its own backend's service account (the fake checks
// each signature against the account it names and refuses a project to any other account).
t.test('two GCE backends used at once sign every request with their own key', async (t) => {
  const fake = await new GceFake().start()
  t.teardown(() => fake.close())
  fake.latencyMs = 15
  fake.pageSize = 500
  const a = directGceDriver(fake)
  const b = directGceDriver(fake)
  for (let i = 0; i < 1100; i++) fake.addInstance(a.project)
  for (let i = 0; i < 2; i++) fake.addInstance(b.project)
  const rounds = 5
  await Promise.all([a, b].flatMap(({ driver, project }, n) => Array.from({ length: rounds }, async (_, round) => {
    const listed = await driver.listMachines()
    const own = fake.instances(project).map((instance) => `${instance.zone}~${instance.name}`).sort()
    t.same(listed.map((machine) => machine.id).sort(), own, `backend ${n + 1}, round ${round + 1}: its own instances, every page`)
    await driver.addTag(own[round % own.length]!, `round-${round}`)
  })))
  const accounts = new Set(fake.requests.map((request) => request.token))
  t.same([...accounts].sort(), [fake.emailOf(a.project), fake.emailOf(b.project)].sort(), 'only the two service accounts signed requests')
  t.same(fake.refusedTokens, [], 'no request carried a token its account did not sign')
  t.ok(fake.requests.every((request) => request.path.includes(request.token === fake.emailOf(a.project) ? a.project : b.project)), 'each project was asked only by its own account')
  t.ok(fake.requests.some((request, i) => i > 0 && request.token !== fake.requests[i - 1]!.token), 'the two backends\' requests were interleaved')
  await Promise.all([a.driver.close(), b.driver.close()])
})

t.test('the server\'s own Google credentials (GOOGLE_APPLICATION_CREDENTIALS) are never used for a backend', async (t) => {
  const fake = await new GceFake().start()
  t.teardown(() => fake.close())
  const saved = { ...process.env }
  t.teardown(() => { process.env = saved })
  const other = fake.project()
  const file = join(tmpdir(), `gce-other-${process.pid}.json`)
  writeFileSync(file, other.private_key)
  process.env.GOOGLE_APPLICATION_CREDENTIALS = file
  process.env.GOOGLE_CLOUD_PROJECT = other.project_id
  const { driver, project } = directGceDriver(fake)
  await driver.checkCredentials()
  await driver.listMachines()
  t.same([...new Set(fake.requests.map((request) => request.token))], [fake.emailOf(project)], 'signed by the backend\'s key, for its project')
  await driver.close()
})
