import { test } from 'tap'
import { MistMachine } from '../../src/schemas/mist-machine.ts'
import { MIST_MACHINE_FIELDS } from '../../src/representations/mist-machine-fields.ts'
import { toMistMachine, toMistMachineListJson } from '../../src/representations/mist-machine.ts'
import { readBackendMachines, readBackendMachinesJson } from '../../src/services/machine-reads.ts'
import { billingRuleOf } from '../../src/domain/billing-rules.ts'
import { addKey, addSandboxBackend, buildTestApp, createMachine, waitForState } from '../helper.ts'

test('the field list is the document\'s machine, in its order', async (t) => {
  t.same(MIST_MACHINE_FIELDS.map((field) => field.key), Object.keys(MistMachine.properties))
})

test('a list\'s JSON text (written by PostgreSQL) and its objects (for XML) show the same machines', async (t) => {
  const app = await buildTestApp(t)
  const backendId = await addSandboxBackend(app)
  const keyId = await addKey(app)
  const made = await createMachine(app, backendId, keyId, { name: 'with "quotes" and ünïcode' })
  const plain = await createMachine(app, backendId, keyId, { name: 'plain' })
  await waitForState(app, made.id, 'active')
  await waitForState(app, plain.id, 'active')
  await app.db.machine.update({ where: { id: made.id }, data: { lastError: 'reboot: refused', tags: ['a', 'b'] } })
  await app.inject({ method: 'POST', url: `/api/machine/${plain.id}/control`, payload: { action: 'stop' } })
  await waitForState(app, plain.id, 'inactive')
  const backend = await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })
  const driver = app.providers.driverFor(backend)
  const rule = billingRuleOf(backend.provider, backend.settings)
  const objects = (await readBackendMachines(app.sql, backendId)).map((row) => toMistMachine(row, driver, rule))
  const text = toMistMachineListJson(await readBackendMachinesJson(app.sql, backendId, rule), driver)
  t.equal(objects.length, 2)
  const parsed = JSON.parse(text) as Array<Record<string, unknown>>
  t.same(parsed, objects, 'the same machines')
  t.same(parsed.map(Object.keys), objects.map(Object.keys), 'their fields in the same order')
  t.equal((objects[0]!.extra as Record<string, unknown>).last_error, 'reboot: refused', 'last_error shows in extra')
  t.same(parsed.map((machine) => (machine.extra as Record<string, unknown>).billing_now), [true, false], 'billing now: the running one, not the stopped one (the simulator\'s rule)')
  // An off droplet bills: the rule decides, not the state alone.
  const droplets = billingRuleOf('digitalocean', {})
  t.same(JSON.parse(toMistMachineListJson(await readBackendMachinesJson(app.sql, backendId, droplets), driver)).map((machine: { extra: { billing_now: boolean } }) => machine.extra.billing_now), [true, true])
  t.same((await readBackendMachines(app.sql, backendId)).map((row) => (toMistMachine(row, driver, droplets).extra as Record<string, unknown>).billing_now), [true, true])
})
