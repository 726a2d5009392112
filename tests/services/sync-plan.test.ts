import t from 'tap'
import fc from 'fast-check'
import type { Machine, TransitionCause } from '../../src/generated/prisma/client.ts'
import { MACHINE_STATES, isTransitional, type MachineState } from '../../src/domain/machine-states.ts'
import type { OperationOutcome, ProviderMachine } from '../../src/providers/driver.ts'
import { planPass, type PassInput } from '../../src/services/sync-plan.ts'

/**
 * The sync pass's decisions, with no database and no cloud: a table of cases, then properties
 * over arbitrary records, listings, operations and creates in flight.
 */

const NOW = Date.parse('2026-12-05T12:00:00Z')
const GRACE = 10_000
const INTENT_GRACE = 120_000

function record (id: number, state: MachineState, overrides: Partial<Machine> = {}): Machine {
  return {
    id,
    uuid: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    backendId: 'b',
    providerId: `p${id}`,
    name: `m${id}`,
    state,
    kind: 'vm',
    size: 's',
    image: 'i',
    location: 'l',
    keyId: null,
    publicIps: [],
    privateIps: [],
    tags: [],
    extra: {},
    hourlyPrice: null,
    currency: null,
    lastTransition: new Date(NOW - 60_000),
    publicUrl: null,
    adminPassword: null,
    ownerId: 'u',
    createdAt: new Date(NOW - 3_600_000),
    updatedAt: new Date(NOW - 60_000),
    destroyedAt: null,
    missingPasses: 0,
    operation: null,
    lastError: null,
    providerState: null,
    ...overrides
  } as Machine
}

function listed (id: number | string, state: MachineState, overrides: Partial<ProviderMachine> = {}): ProviderMachine {
  return { id: typeof id === 'number' ? `p${id}` : id, name: `m${id}`, state, size: 's', image: 'i', location: 'l', publicIps: [], privateIps: [], publicUrl: null, extra: {}, ...overrides }
}

const input = (overrides: Partial<PassInput>): PassInput => ({
  records: [], listing: [], operations: new Map(), intents: [], now: NOW, cause: 'provider_sync', staleGraceMs: GRACE, intentGraceMs: INTENT_GRACE, ...overrides
})

t.test('the table', async (t) => {
  const moved = (plan: ReturnType<typeof planPass>) => plan.transitions.map((change) => [change.machineId, change.from, change.to, change.cause])

  t.same(moved(planPass(input({ records: [record(1, 'running')], listing: [listed(1, 'stopped')] }))), [[1, 'running', 'stopped', 'provider_sync']], 'stopped at the cloud')
  t.same(moved(planPass(input({ records: [record(1, 'running')], listing: [listed(1, 'running')] }))), [], 'nothing changed: nothing written')

  const blip = planPass(input({ records: [record(1, 'running')], listing: [] }))
  t.same([moved(blip), blip.missing.map((m) => m.id)], [[], [1]], 'missing once: counted, not destroyed')
  t.same(moved(planPass(input({ records: [record(1, 'running', { missingPasses: 1 })], listing: [] }))), [[1, 'running', 'terminated', 'provider_sync']], 'missing twice: gone')
  t.same(moved(planPass(input({ records: [record(1, 'destroying')], listing: [], cause: 'api_action' }))), [[1, 'destroying', 'terminated', 'api_action']], 'missing while destroyed: gone at once, settling its action')

  const running = new Map<number, OperationOutcome>([[1, { done: false }]])
  t.same(moved(planPass(input({ records: [record(1, 'rebooting', { operation: '{}' })], listing: [listed(1, 'running')], operations: running }))), [], 'a running operation holds the transitional state')
  const failed = planPass(input({ records: [record(1, 'starting', { operation: '{}' })], listing: [listed(1, 'stopped')], operations: new Map([[1, { done: true, error: 'AllocationFailed' }]]) }))
  t.same(moved(failed), [[1, 'starting', 'stopped', 'action_failed']], 'a failed operation: action_failed')
  t.equal(failed.transitions[0]!.detail, 'AllocationFailed', 'with the cloud\'s reason')
  t.same(failed.operationsEnded, [{ id: 1, operation: '{}' }], 'and it is forgotten')
  // GCE: an insert operation that ends with an error leaves no instance to list.
  const neverMade = planPass(input({ records: [record(1, 'pending', { operation: '{}' })], listing: [], operations: new Map([[1, { done: true, error: 'gce: ZONE_RESOURCE_POOL_EXHAUSTED' }]]) }))
  t.same([moved(neverMade), neverMade.transitions[0]?.detail, neverMade.missing], [[[1, 'pending', 'error', 'action_failed']], 'gce: ZONE_RESOURCE_POOL_EXHAUSTED', []],
    'a create whose operation failed and that the cloud does not list is in error with the reason, not counted missing')
  t.same(moved(planPass(input({ records: [record(1, 'pending', { operation: '{}' })], listing: [], operations: new Map([[1, { done: true, error: null }]]) }))), [],
    'a create whose operation ended well but is not listed yet is a blip, as any')

  const fresh = record(1, 'stopping', { lastTransition: new Date(NOW - 1000) })
  t.same(moved(planPass(input({ records: [fresh], listing: [listed(1, 'running')] }))), [], 'an old state within the stale grace is "not yet"')
  t.same(moved(planPass(input({ records: [record(1, 'stopping')], listing: [listed(1, 'running')] }))), [[1, 'stopping', 'running', 'provider_sync']], 'past it, it is the truth')
  const deleting = record(1, 'destroying', { lastTransition: new Date(NOW - 1000) })
  t.same(moved(planPass(input({ records: [deleting], listing: [listed(1, 'stopping')] }))), [], 'a machine being destroyed that the cloud lists stopping (GCE) is on its way')
  t.same(moved(planPass(input({ records: [record(1, 'destroying')], listing: [listed(1, 'stopped')] }))), [[1, 'destroying', 'stopped', 'provider_sync']], 'still stopped past the grace: the delete did not happen')

  // EC2 lists a started instance as "pending": the same journey as our "starting", not a change.
  const journey = planPass(input({ records: [record(1, 'starting')], listing: [listed(1, 'pending')] }))
  t.same([moved(journey), journey.kept.map((kept) => kept.state)], [[], ['starting']], 'a cloud\'s own word for the same journey records nothing')
  t.same(moved(planPass(input({ records: [record(1, 'stopping')], listing: [listed(1, 'pending')] }))), [[1, 'stopping', 'pending', 'provider_sync']], 'another journey is a change')

  // Defect 1: a watch queued by machine 1's action; machine 2 moved at the cloud by itself.
  const watch = planPass(input({ cause: 'api_action', records: [record(1, 'stopping'), record(2, 'running', { lastError: 'shutdown: refused' })], listing: [listed(1, 'stopped'), listed(2, 'stopped')] }))
  t.same(moved(watch), [[1, 'stopping', 'stopped', 'api_action'], [2, 'running', 'stopped', 'provider_sync']], 'each change has its own cause: the action\'s settle api_action, the other machine provider_sync')

  // Defect 2: creates, by where their creator stands.
  const token = (uuid: string) => listed(`p-${uuid}`, 'pending', { clientToken: uuid })
  const intents = [
    { uuid: 'in-flight', state: 'creating', createdAt: new Date(NOW - 1000) },
    { uuid: 'given-up', state: 'abandoned', createdAt: new Date(NOW - 1000) },
    { uuid: 'given-up-not-listed', state: 'abandoned', createdAt: new Date(NOW - 1000) },
    { uuid: 'crashed', state: 'creating', createdAt: new Date(NOW - INTENT_GRACE - 1) },
    { uuid: 'never-made', state: 'abandoned', createdAt: new Date(NOW - INTENT_GRACE - 1) },
    { uuid: 'late', state: 'failed', createdAt: new Date(NOW - 3_600_000) }
  ]
  const creates = planPass(input({ intents, listing: [token('in-flight'), token('given-up'), token('crashed'), token('late')] }))
  t.same(creates.settle.map((s) => s.intent.uuid), ['given-up', 'crashed', 'late'], 'adopted: a create whose request gave up (at once), one a crash cut off (after the grace), one that turned up late')
  t.same(creates.fail.map((f) => f.uuid), ['never-made'], 'failed: given up and not listed within the grace')
  t.equal(creates.intentsInFlight, 2, 'still on their way: the one in flight, the one given up and not listed yet')
  t.same(creates.adopt, [], 'none of them is taken for a foreign machine')
  t.same(planPass(input({ listing: [listed('outside', 'running')] })).adopt.map((m) => m.id), ['outside'], 'a machine made outside Stratus is adopted')
})

const STATES = MACHINE_STATES.filter((state) => state !== 'terminated')
const arbitraryPass = fc.record({
  records: fc.uniqueArray(fc.record({
    id: fc.integer({ min: 1, max: 30 }),
    state: fc.constantFrom(...STATES),
    missingPasses: fc.integer({ min: 0, max: 1 }),
    ageMs: fc.integer({ min: 0, max: 60_000 }),
    operation: fc.option(fc.constantFrom<OperationOutcome>({ done: false }, { done: true, error: null }, { done: true, error: 'failed at the cloud' }), { nil: undefined })
  }), { selector: (r) => r.id, maxLength: 12 }),
  listedStates: fc.array(fc.option(fc.constantFrom(...MACHINE_STATES), { nil: undefined }), { minLength: 30, maxLength: 30 }),
  cause: fc.constantFrom<TransitionCause>('api_action', 'provider_sync', 'restart_recovery')
})

function build (arbitrary: typeof arbitraryPass extends fc.Arbitrary<infer T> ? T : never): PassInput {
  const records = arbitrary.records.map((r) => record(r.id, r.state, { missingPasses: r.missingPasses, lastTransition: new Date(NOW - r.ageMs), operation: r.operation === undefined ? null : `op${r.id}` }))
  const operations = new Map(arbitrary.records.filter((r) => r.operation !== undefined).map((r) => [r.id, r.operation!]))
  // A record's machine is listed with the state drawn for its id, or missing (undefined).
  const listing = arbitrary.records.flatMap((r) => arbitrary.listedStates[r.id - 1] === undefined ? [] : [listed(r.id, arbitrary.listedStates[r.id - 1]!)])
  return input({ records, listing, operations, cause: arbitrary.cause })
}

t.test('the cloud\'s own status: a change under a settled state is history; a first sighting or a move in progress is not', async (t) => {
  const azure = (state: MachineState, status: string | null) => record(1, state, { providerState: status })
  const seen = (state: MachineState, status: string) => listed(1, state, { providerState: status, providerStateAt: new Date(NOW - 5000) })

  const deallocated = planPass(input({ records: [azure('stopped', 'PowerState/stopped')], listing: [seen('stopped', 'PowerState/deallocated')] }))
  t.match(deallocated.transitions, [{ from: 'stopped', to: 'stopped', cause: 'provider_sync', providerState: 'PowerState/deallocated', fromProviderState: 'PowerState/stopped', providerAt: new Date(NOW - 5000) }],
    'stopped, then deallocated: a row of its own, conditional on the status it was decided from')
  t.same(planPass(input({ records: [azure('stopped', 'PowerState/deallocated')], listing: [seen('stopped', 'PowerState/deallocated')] })).transitions, [], 'unchanged: nothing')

  const first = planPass(input({ records: [azure('stopped', null)], listing: [seen('stopped', 'PowerState/deallocated')] }))
  t.same([first.transitions, first.details.map((change) => change.providerState)], [[], ['PowerState/deallocated']], 'a record from before the status was kept learns it without a row')

  const moving = planPass(input({ records: [azure('starting', 'PowerState/deallocated')], listing: [seen('starting', 'PowerState/starting')] }))
  t.same([moving.transitions, moving.details.map((change) => change.providerState)], [[], ['PowerState/starting']], 'on the way: the record follows, history waits for the state')

  const stopped = planPass(input({ records: [azure('running', 'PowerState/running')], listing: [seen('stopped', 'PowerState/stopped')] }))
  t.match(stopped.transitions, [{ from: 'running', to: 'stopped', providerState: 'PowerState/stopped' }], 'a change of state carries the status')
  t.equal(stopped.transitions[0]!.fromProviderState, undefined, 'and is guarded by the state alone')
})

t.test('properties', async (t) => {
  fc.assert(fc.property(arbitraryPass, (arbitrary) => {
    const pass = build(arbitrary)
    const plan = planPass(pass)
    const listedIds = new Set(pass.listing.map((m) => m.id))
    for (const change of plan.transitions) {
      const own = pass.records.find((r) => r.id === change.machineId)!
      const operation = pass.operations.get(own.id)
      // A machine missing from one listing is never destroyed (unless it was being destroyed).
      if (change.to === 'terminated' && !listedIds.has(own.providerId)) {
        if (!(own.missingPasses >= 1 || own.state === 'destroying')) throw new Error(`destroyed after one miss: ${JSON.stringify(own)}`)
      }
      // An operation still running holds the transitional state.
      if (operation?.done === false && isTransitional(own.state)) throw new Error(`moved while its operation runs: ${change.machineId}`)
      // A change never takes another machine's cause: only its own operation or its own motion decide it.
      const expected = operation?.done === true && operation.error !== null ? 'action_failed' : isTransitional(own.state) ? pass.cause : 'provider_sync'
      if (change.cause !== expected) throw new Error(`cause ${change.cause}, expected ${expected}, for ${JSON.stringify(own)}`)
      if (change.from !== own.state) throw new Error('a change starts where its record is')
    }
    // Every record is either changed or kept, exactly once.
    const seen = [...plan.transitions.map((c) => c.machineId), ...plan.kept.map((m) => m.id)].sort((a, b) => a - b)
    if (JSON.stringify(seen) !== JSON.stringify(pass.records.map((r) => r.id).sort((a, b) => a - b))) throw new Error('a record was lost or doubled')
  }), { numRuns: 2000 })
  t.pass('2,000 passes: no destroy after one miss, running operations hold, each change its own cause, every record accounted for')

  fc.assert(fc.property(arbitraryPass, (arbitrary) => {
    // A listing that says nothing new writes nothing: records confirmed as they are.
    const pass = build(arbitrary)
    const same = input({ records: pass.records.map((r) => ({ ...r, missingPasses: 0 })), listing: pass.records.map((r) => listed(r.id, r.state)), cause: pass.cause })
    const plan = planPass(same)
    if (plan.transitions.length + plan.details.length + plan.missing.length + plan.adopt.length !== 0) throw new Error('a listing equal to the records wrote something')
  }), { numRuns: 500 })
  t.pass('a listing equal to the records plans no write')
})
