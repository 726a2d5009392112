import type { Backend, Machine, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import { isTransitional, SETTLES_INTO } from '../domain/machine-states.ts'
import type { ProviderDriver, ProviderMachine } from '../providers/driver.ts'
import { reconcile } from './reconcile.ts'

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
  const listed = await driver.listMachines()
  const observed = new Map(listed.map((machine) => [machine.id, machine]))
  const records = await db.machine.findMany({ where: { backendId: backend.id, state: { not: 'terminated' } }, orderBy: { id: 'asc' } })
  const now = Date.now()
  const machines: Machine[] = []
  let unsettled = 0
  for (const record of records) {
    const seen = observed.get(record.providerId) ?? null
    const synced = isStale(record, seen, now, options.staleGraceMs) ? record : await reconcile(db, record, seen, options.cause)
    if (isTransitional(synced.state)) unsettled++
    if (synced.state !== 'terminated') machines.push(synced)
  }
  const intents = await db.machineIntent.findMany({ where: { backendId: backend.id, state: 'creating' } })
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
