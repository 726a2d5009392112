import { randomUUID } from 'node:crypto'
import type { Backend, Machine, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import { isTransitional } from '../domain/machine-states.ts'
import type { OperationOutcome, ProviderDriver } from '../providers/driver.ts'
import { applyDetails, applyTransitions, countMissing, endOperations, insertMachines, machineFromCloud, settleIntent } from './machine-writer.ts'
import { planPass } from './sync-plan.ts'
import { decodeOperationRef } from '../providers/kit/operation-ref.ts'

export interface SyncOptions {
  cause: TransitionCause
  /**
   * A cloud may still report the state an action started from for a moment after accepting it
   * (EC2 does). Within this long of a transition, a settled state that is not where the machine
   * is going is read as "not yet", not as the action's undoing.
   */
  staleGraceMs: number
  /** Creates recorded longer ago than this and still unanswered were cut off (a crash): reconcile them. */
  intentGraceMs: number
  /** The machine API's kind for machines adopted from the cloud ("vm", "container"). */
  machineKind: string
}

export interface SyncResult {
  /** The backend's machines as recorded now (destroyed ones left out). */
  machines: Machine[]
  /** How many are still on their way somewhere, creates in flight included. */
  unsettled: number
}

/**
 * One pass over one backend: a single list call to its provider, then every record brought in
 * line with it, written only where something changed. Creates cut off by a crash are settled
 * here too: the cloud's machine with our uuid as its client token is adopted, and an intent the
 * cloud never heard of is marked failed. Running it twice, or on two servers, is harmless: every
 * write is conditional on the state it read.
 */
export async function syncBackend (db: PrismaClient, driver: ProviderDriver, backend: Backend, options: SyncOptions): Promise<SyncResult> {
  // Records before the cloud: a machine created after the list was taken is not taken for one
  // the cloud no longer knows. Intents after it: a machine in the listing had its intent written
  // before the cloud made it, so it is read here as an intent, or (its create finished since)
  // its record exists and adopting it as foreign writes nothing (the insert skips duplicates).
  const records = await db.machine.findMany({ where: { backendId: backend.id, state: { not: 'terminated' } }, orderBy: { id: 'asc' } })
  // Operations before the cloud's listing: one that had ended by then shows its end in it.
  const { operations, looked } = await followOperations(driver, records)
  const listing = await driver.listMachines()
  const intents = await db.machineIntent.findMany({ where: { backendId: backend.id } })
  // Every decision of the pass, in one pure function (src/services/sync-plan.ts); below, only writes.
  const plan = planPass({
    records, listing, operations, intents, now: Date.now(), cause: options.cause, staleGraceMs: options.staleGraceMs, intentGraceMs: options.intentGraceMs
  })
  const at = new Date()
  await endOperations(db, plan.operationsEnded)
  await countMissing(db, plan.missing.map((record) => record.id))
  await applyDetails(db, plan.details, at)
  const moved = (await applyTransitions(db, plan.transitions, at)).map(({ machine }) => machine)
  // A change that lost to a concurrent one (an action meanwhile) is read back as it now stands.
  const won = new Set(moved.map((machine) => machine.id))
  const lost = plan.transitions.filter((change) => !won.has(change.machineId)).map((change) => change.machineId)
  const reread = lost.length === 0 ? [] : await db.machine.findMany({ where: { id: { in: lost } } })
  const machines = [...plan.kept, ...moved, ...reread].filter((machine) => machine.state !== 'terminated')
  // A machine whose operation still runs was kept in its transitional state: counted here too.
  let unsettled = machines.filter((machine) => isTransitional(machine.state)).length + plan.intentsInFlight
  for (const { uuid } of plan.fail) await failIntent(db, uuid)
  const settled: Machine[] = []
  for (const { intent, found } of plan.settle) {
    const row = await settleIntent(db, intent, found, { cause: 'provider_sync', detail: 'adopted: the create was cut off before it was recorded' })
    if (row !== null) settled.push(row)
  }
  const foreign = plan.adopt.map((found) => machineFromCloud(backend, found, randomUUID(), options.machineKind))
  const adopted = await insertMachines(db, foreign, { cause: 'provider_sync', detail: 'adopted: created outside Stratus' }, at)
  for (const row of [...settled, ...adopted]) {
    if (row.state === 'terminated') continue
    machines.push(row)
    if (isTransitional(row.state)) unsettled++
  }
  machines.sort((a, b) => a.id - b.id)
  // A complete listing, recorded: list requests within LIST_FRESH_MS answer from the records, and
  // the next listing is spaced by what this pass cost. Raw SQL, so that updated_at (the driver's
  // version) stays.
  await db.$executeRaw`UPDATE backends SET listed_at = ${at}, listed_count = ${listing.length}, listed_operations = ${looked} WHERE id = ${backend.id}`
  return { machines, unsettled }
}

/**
 * A cloud answers for one operation per call, so a pass looks at no more than this many (a fair
 * sample when more are pending); the rest count as still running until a later pass looks.
 */
export const OPERATIONS_PER_PASS = 20

/**
 * One look at pending operations of the backend's machines, by machine, and how many calls the
 * looks cost (the budget counts them). One the driver could not read is left out: its machine is judged
 * by the listing alone, as if it had none.
 */
async function followOperations (driver: ProviderDriver, records: readonly Machine[]): Promise<{ operations: Map<number, OperationOutcome>, looked: number }> {
  const pending = records.filter((record) => record.operation !== null && isTransitional(record.state))
  if (pending.length === 0 || driver.followOperations === undefined) return { operations: new Map(), looked: 0 }
  const looked = (pending.length <= OPERATIONS_PER_PASS ? pending : sample(pending, OPERATIONS_PER_PASS))
    .map((record) => ({ record, ref: decodeOperationRef(record.operation!) }))
  const { outcomes, calls } = await driver.followOperations(looked.map(({ ref }) => ref))
  const byMachine = new Map<number, OperationOutcome>(pending.map((record) => [record.id, { done: false }]))
  for (const { record, ref } of looked) {
    const outcome = outcomes.get(ref)
    if (outcome === undefined) byMachine.delete(record.id)
    else byMachine.set(record.id, outcome)
  }
  return { operations: byMachine, looked: calls }
}

/** `count` items drawn at random (a partial Fisher-Yates shuffle), so no operation waits forever. */
function sample<T> (items: readonly T[], count: number): T[] {
  const pool = [...items]
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (pool.length - i))
    ;[pool[i], pool[j]] = [pool[j]!, pool[i]!]
  }
  return pool.slice(0, count)
}

/**
 * A create the cloud never made (cut off by a crash, or given up after a timeout and still not
 * listed): marked failed, and kept, in case its machine turns up late (it is adopted then).
 */
async function failIntent (db: PrismaClient, uuid: string): Promise<void> {
  await db.machineIntent.updateMany({ where: { uuid, state: { in: ['creating', 'abandoned'] } }, data: { state: 'failed' } })
}
