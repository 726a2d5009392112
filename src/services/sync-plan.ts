import type { Machine, MachineIntent, TransitionCause } from '../generated/prisma/client.ts'
import { isTransitional } from '../domain/machine-states.ts'
import { SETTLES_INTO } from '../domain/lifecycle.ts'
import type { OperationOutcome, ProviderMachine } from '../providers/driver.ts'
import type { DetailChange, StateChange } from './machine-writer.ts'
import { canonicalJson } from '../domain/canonical-json.ts'

/** What one pass knows: the records, one complete listing, the operations' outcomes, the creates in flight. */
/** What the planner reads of a create in flight (the pass hands over whole intents, and gets them back to settle). */
export type IntentView = Pick<MachineIntent, 'uuid' | 'state' | 'createdAt'>

export interface PassInput<I extends IntentView = IntentView> {
  /** The backend's records that are not destroyed, read before the listing. */
  records: readonly Machine[]
  /** One complete listing of the cloud (a listing with a failed page never reaches the planner). */
  listing: readonly ProviderMachine[]
  /** Pending operations' outcomes by machine id; a machine absent here has none that could be read. */
  operations: ReadonlyMap<number, OperationOutcome>
  /** Creates recorded before the cloud was called, read after the listing. */
  intents: readonly I[]
  now: number
  /** Why the pass runs: the cause of the changes that settle what an action (or a restart) left in motion. */
  cause: TransitionCause
  /** Within this long of a transition, an old state the cloud still shows is "not yet". */
  staleGraceMs: number
  /** A create still in flight this long after its intent was written was cut off (a crash). */
  intentGraceMs: number
}

export interface PlannedTransition extends StateChange {
  record: Machine
}

/** What the pass writes, each decided once, here, with no database and no cloud. */
export interface PassPlan<I extends IntentView = IntentView> {
  /** State changes, each with its own cause. */
  transitions: PlannedTransition[]
  /** Changes of what the listing says besides the state (addresses, extra). */
  details: DetailChange[]
  /** Records the listing confirms as they are (with detail changes applied). */
  kept: Machine[]
  /** Records missing from this listing for the first time: counted, not destroyed. */
  missing: Machine[]
  /** Operations to forget: ended, or their machine settled without them. */
  operationsEnded: Array<{ id: number, operation: string }>
  /** Creates whose machine the listing shows: adopt it into a record. */
  settle: Array<{ intent: I, found: ProviderMachine }>
  /** Creates the cloud never made (cut off, or given up): marked failed, kept for a late arrival. */
  fail: Array<{ uuid: string, state: string }>
  /** Creates still on their way (their creator may still record them): the watch keeps looking. */
  intentsInFlight: number
  /** Machines someone made outside Stratus: adopt them. */
  adopt: ProviderMachine[]
}

/**
 * Missing from one complete listing is not gone: clouds drop a machine from a list for a moment
 * (eventual consistency, a blip). Gone is missing twice in a row, or missing while being destroyed.
 */
export const MISSES_UNTIL_GONE = 2

const goneForGood = (record: Machine): boolean => record.state === 'destroying' || record.missingPasses + 1 >= MISSES_UNTIL_GONE

/** What a listing says of a machine besides its state, as a record stores it. */
export const detailsOf = (seen: ProviderMachine) => ({ publicIps: seen.publicIps, privateIps: seen.privateIps, publicUrl: seen.publicUrl, extra: seen.extra })

/** Whether the cloud's view of a machine differs from its record in anything but state. */
export const detailsDiffer = (machine: Machine, observed: ProviderMachine): boolean =>
  machine.missingPasses !== 0 ||
  (observed.providerState !== undefined && observed.providerState !== machine.providerState) ||
  machine.publicUrl !== observed.publicUrl ||
  JSON.stringify(machine.publicIps) !== JSON.stringify(observed.publicIps) ||
  JSON.stringify(machine.privateIps) !== JSON.stringify(observed.privateIps) ||
  canonicalJson(machine.extra) !== canonicalJson(observed.extra)

/**
 * The cloud names a move in its own words: EC2 lists a started instance as "pending" while we
 * record "starting". Two transitional states on the way to the same state are one journey, not a
 * change to record.
 */
const sameJourney = (recorded: Machine['state'], seen: Machine['state'] | undefined): boolean =>
  seen !== undefined && isTransitional(recorded) && isTransitional(seen) && SETTLES_INTO[recorded] !== undefined && SETTLES_INTO[recorded] === SETTLES_INTO[seen]

/**
 * A change of the cloud's own status alone, worth a history row: our state is settled, and the
 * record knew the cloud's status before (a first sighting, or a move still in progress, only
 * updates the record).
 */
const providerMoved = (record: Machine, seen: ProviderMachine): boolean =>
  seen.providerState !== undefined && record.providerState !== null && seen.providerState !== record.providerState && !isTransitional(record.state)

function isStale (record: Machine, seen: ProviderMachine | null, now: number, graceMs: number): boolean {
  if (seen === null || !isTransitional(record.state) || now - record.lastTransition.getTime() >= graceMs) return false
  const goal = SETTLES_INTO[record.state]
  if (goal === undefined || seen.state === goal || seen.state === 'terminated') return false
  // A delete stops the machine first (GCE lists a deleted instance STOPPING until it is gone): on its way, not back.
  if (record.state === 'destroying' && (seen.state === 'stopping' || seen.state === 'stopped')) return true
  return !isTransitional(seen.state)
}

/**
 * One pass's decisions, as a pure function of what it read (tests/services/sync-plan.test.ts
 * holds it to a table and to properties):
 * - a machine missing from one listing is counted, never destroyed; twice in a row, or while
 *   being destroyed, it is gone;
 * - while a machine's operation runs, its transitional state holds whatever the listing shows;
 *   without one, an old state is "not yet" for the stale grace;
 * - each change has its own cause: action_failed when its own operation failed; the pass's cause
 *   when it settles a machine that was in motion (an action's, a restart's); provider_sync when the
 *   machine moved at the cloud by itself. A watch queued by one machine's action never lends its
 *   cause to another machine;
 * - a create whose own operation failed and whose machine the cloud does not list is in error,
 *   with the cloud's reason;
 * - a create is adopted as soon as its creator has ended (recorded it, or given up), or once it
 *   has been in flight longer than the intent grace (a crash); never while it may still record.
 */
export function planPass<I extends IntentView> (input: PassInput<I>): PassPlan<I> {
  const observed = new Map(input.listing.map((machine) => [machine.id, machine]))
  const plan: PassPlan<I> = { transitions: [], details: [], kept: [], missing: [], operationsEnded: [], settle: [], fail: [], intentsInFlight: 0, adopt: [] }
  for (const record of input.records) {
    const operation = input.operations.get(record.id)
    // Forgotten when it ended, or when its machine settled without it (read by the listing while it could not be read).
    if (record.operation !== null && (operation?.done === true || !isTransitional(record.state))) plan.operationsEnded.push({ id: record.id, operation: record.operation })
    const seen = observed.get(record.providerId) ?? null
    const failed = operation?.done === true ? operation.error : null
    // A create the cloud accepted and then failed (GCE's insert operation ends with an error and
    // no instance): the machine never came to be, and it shows why, rather than going missing.
    const neverMade = seen === null && failed !== null && record.state === 'pending'
    if (seen === null && !neverMade && !goneForGood(record)) {
      plan.missing.push(record)
      plan.kept.push(record)
      continue
    }
    const to = neverMade ? 'error' : sameJourney(record.state, seen?.state) ? record.state : seen?.state ?? 'terminated'
    if (operation?.done === false && isTransitional(record.state)) plan.kept.push(record)
    else if (failed === null && isStale(record, seen, input.now, input.staleGraceMs)) plan.kept.push(record)
    else if (to === record.state) {
      if (seen !== null && providerMoved(record, seen)) {
        // The cloud's status changed under a settled state of ours (Azure stopped, then deallocated): history keeps it.
        plan.transitions.push({
          record,
          machineId: record.id,
          from: record.state,
          to,
          cause: 'provider_sync',
          details: detailsOf(seen),
          providerState: seen.providerState,
          providerAt: seen.providerStateAt ?? null,
          fromProviderState: record.providerState ?? undefined,
          fromLastTransition: record.lastTransition
        })
      } else if (seen !== null && detailsDiffer(record, seen)) {
        const patch = detailsOf(seen)
        plan.details.push({ machineId: record.id, state: record.state, lastTransition: record.lastTransition, ...patch, providerState: seen.providerState })
        plan.kept.push({ ...record, ...patch, extra: seen.extra as Machine['extra'], missingPasses: 0, providerState: seen.providerState ?? record.providerState })
      } else plan.kept.push(record)
    } else {
      const cause: TransitionCause = failed !== null ? 'action_failed' : isTransitional(record.state) ? input.cause : 'provider_sync'
      plan.transitions.push({
        record,
        machineId: record.id,
        from: record.state,
        to,
        cause,
        fromLastTransition: record.lastTransition,
        ...(failed === null ? {} : { detail: failed }),
        ...(seen === null
          ? { detail: failed ?? 'the provider no longer knows the machine' }
          : { details: detailsOf(seen), providerState: seen.providerState, providerAt: seen.providerStateAt ?? null })
      })
    }
  }
  const byToken = new Map(input.listing.filter((machine) => machine.clientToken != null).map((machine) => [machine.clientToken!, machine]))
  for (const intent of input.intents) {
    const found = byToken.get(intent.uuid) ?? null
    const young = input.now - intent.createdAt.getTime() < input.intentGraceMs
    // Its creator may still record it (the call has not ended): not ours to touch.
    if (intent.state === 'creating' && young) { plan.intentsInFlight++; continue }
    if (found !== null) { plan.settle.push({ intent, found }); continue }
    // Given up by its creator (a timeout): the cloud may still show it in a moment.
    if (intent.state === 'abandoned' && young) { plan.intentsInFlight++; continue }
    // A failed intent is kept for the case its machine turns up late; until then nothing to do.
    if (intent.state !== 'failed') plan.fail.push({ uuid: intent.uuid, state: intent.state })
  }
  const recorded = new Set(input.records.map((record) => record.providerId))
  const intended = new Set(input.intents.map((intent) => intent.uuid))
  plan.adopt = input.listing.filter((machine) => !recorded.has(machine.id) && machine.state !== 'terminated' &&
    (machine.clientToken == null || !intended.has(machine.clientToken)))
  return plan
}
