import type { Backend, Machine, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import { isTransitional, SETTLES_INTO } from '../domain/machine-states.ts'
import type { ProviderDriver, ProviderMachine } from '../providers/driver.ts'
import { reconcile } from './reconcile.ts'
import { applyTransitions, type BatchedTransition } from './transitions.ts'

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
  // Records are read before the cloud is listed: a machine created after the list was taken is
  // not in it, and read afterwards it would be taken for one the cloud no longer knows.
  const records = await db.machine.findMany({ where: { backendId: backend.id, state: { not: 'terminated' } }, orderBy: { id: 'asc' } })
  const intents = await db.machineIntent.findMany({ where: { backendId: backend.id, state: 'creating' } })
  const listed = await driver.listMachines()
  const observed = new Map(listed.map((machine) => [machine.id, machine]))
  const now = Date.now()
  const kept: Machine[] = []
  // State changes are written together, in one statement; the rarer change of details alone, one by one.
  const changes: Array<BatchedTransition & { record: Machine }> = []
  for (const record of records) {
    const seen = observed.get(record.providerId) ?? null
    const to = seen?.state ?? 'terminated'
    if (isStale(record, seen, now, options.staleGraceMs)) kept.push(record)
    else if (to === record.state) kept.push(await reconcile(db, record, seen, options.cause))
    else {
      changes.push({
        record,
        machineId: record.id,
        from: record.state,
        to,
        ...(seen === null
          ? { detail: 'the provider no longer knows the machine' }
          : { details: { publicIps: seen.publicIps, privateIps: seen.privateIps, publicUrl: seen.publicUrl, extra: seen.extra } })
      })
    }
  }
  const at = new Date()
  const moved = await applyTransitions(db, changes, options.cause, at)
  // A change that lost to a concurrent one (an action meanwhile) is read back as it now stands.
  const lost = changes.filter((change) => !moved.has(change.machineId)).map((change) => change.machineId)
  const reread = lost.length === 0 ? [] : await db.machine.findMany({ where: { id: { in: lost } } })
  const machines = [
    ...kept,
    ...changes.filter((change) => moved.has(change.machineId)).map((change): Machine => ({
      ...change.record,
      ...(change.details ?? { publicIps: [], privateIps: [] }),
      extra: (change.details?.extra ?? change.record.extra) as Machine['extra'],
      state: change.to,
      lastTransition: at,
      updatedAt: at,
      destroyedAt: change.to === 'terminated' ? at : change.record.destroyedAt
    })),
    ...reread
  ].filter((machine) => machine.state !== 'terminated').sort((a, b) => a.id - b.id)
  let unsettled = machines.filter((machine) => isTransitional(machine.state)).length
  for (const intent of intents) {
    if (now - intent.createdAt.getTime() < options.intentGraceMs) { unsettled++; continue }
    const adopted = await settleIntent(db, intent, listed.find((machine) => machine.clientToken === intent.uuid) ?? null)
    if (adopted !== null && adopted.state !== 'terminated') {
      machines.push(adopted)
      if (isTransitional(adopted.state)) unsettled++
    }
  }
  return { machines, unsettled }
}

function isStale (record: Machine, seen: ProviderMachine | null, now: number, graceMs: number): boolean {
  if (seen === null || !isTransitional(record.state) || now - record.lastTransition.getTime() >= graceMs) return false
  const goal = SETTLES_INTO[record.state]
  return goal !== undefined && seen.state !== goal && seen.state !== 'terminated' && !isTransitional(seen.state)
}

type Intent = NonNullable<Awaited<ReturnType<PrismaClient['machineIntent']['findUnique']>>>

/** A create cut off by a crash: the cloud's machine becomes a record, or the intent is marked failed. */
async function settleIntent (db: PrismaClient, intent: Intent, found: ProviderMachine | null): Promise<Machine | null> {
  if (found === null) {
    // Kept, marked: if the create was only slow, the server that made it still records it.
    await db.machineIntent.updateMany({ where: { uuid: intent.uuid, state: 'creating' }, data: { state: 'failed' } })
    return null
  }
  return db.$transaction(async (tx) => {
    // The server that made the call may finish meanwhile: whoever removes the intent writes the row.
    const claimed = await tx.machineIntent.deleteMany({ where: { uuid: intent.uuid, state: 'creating' } })
    if (claimed.count === 0) return null
    const at = new Date()
    const row = await tx.machine.create({
      data: {
        uuid: intent.uuid,
        backendId: intent.backendId,
        providerId: found.id,
        name: intent.name,
        state: found.state,
        kind: intent.kind,
        size: found.size ?? intent.size,
        image: found.image ?? intent.image,
        location: found.location ?? intent.location,
        keyId: intent.keyId,
        publicIps: found.publicIps,
        privateIps: found.privateIps,
        extra: found.extra as object,
        hourlyPrice: intent.hourlyPrice,
        currency: intent.currency,
        lastTransition: at,
        publicUrl: found.publicUrl,
        adminPassword: intent.adminPassword,
        ownerId: intent.ownerId
      }
    })
    await tx.transition.create({
      data: { machineId: row.id, fromState: null, toState: row.state, at, cause: 'provider_sync', detail: 'adopted: the create was cut off before it was recorded' }
    })
    return row
  })
}
