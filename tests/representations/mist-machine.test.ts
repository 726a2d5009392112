import { test } from 'tap'
import { MistMachine } from '../../src/schemas/mist-machine.ts'
import { MIST_MACHINE_FIELDS } from '../../src/representations/mist-machine-fields.ts'
import { toMistMachine, toMistMachineListJson } from '../../src/representations/mist-machine.ts'
import { readBackendMachines, readBackendMachinesJson } from '../../src/services/machine-reads.ts'
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
  const driver = app.providers.driverFor((await app.db.backend.findUniqueOrThrow({ where: { id: backendId } })))
  const objects = (await readBackendMachines(app.sql, backendId)).map((row) => toMistMachine(row, driver))
  const text = toMistMachineListJson(await readBackendMachinesJson(app.sql, backendId), driver)
  t.equal(objects.length, 2)
  const parsed = JSON.parse(text) as Array<Record<string, unknown>>
  t.same(parsed, objects, 'the same machines')
  t.same(parsed.map(Object.keys), objects.map(Object.keys), 'their fields in the same order')
  t.equal((objects[0]!.extra as Record<string, unknown>).last_error, 'reboot: refused', 'last_error shows in extra')
})
