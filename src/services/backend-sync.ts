import { randomUUID } from 'node:crypto'
import type { Backend, Machine, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import { isTransitional } from '../domain/machine-states.ts'
import type { OperationOutcome, ProviderDriver, ProviderMachine } from '../providers/driver.ts'
import { applyDetails, countMissing } from './reconcile.ts'
import { applyTransitions } from './transitions.ts'
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
  await countMissing(db, plan.missing)
  await applyDetails(db, plan.details, at)
  const moved = await applyTransitions(db, plan.transitions, at)
  // A change that lost to a concurrent one (an action meanwhile) is read back as it now stands.
  const lost = plan.transitions.filter((change) => !moved.has(change.machineId)).map((change) => change.machineId)
  const reread = lost.length === 0 ? [] : await db.machine.findMany({ where: { id: { in: lost } } })
  const machines = [
    ...plan.kept,
    ...plan.transitions.filter((change) => moved.has(change.machineId)).map((change): Machine => ({
      ...change.record,
      ...(change.details ?? { publicIps: [], privateIps: [] }),
      extra: (change.details?.extra ?? change.record.extra) as Machine['extra'],
      state: change.to,
      lastTransition: at,
      updatedAt: at,
      missingPasses: 0,
      destroyedAt: change.to === 'terminated' ? at : change.record.destroyedAt,
      lastError: change.cause === 'action_failed' ? change.detail ?? null : change.record.lastError
    })),
    ...reread
  ].filter((machine) => machine.state !== 'terminated')
  // A machine whose operation still runs was kept in its transitional state: counted here too.
  let unsettled = machines.filter((machine) => isTransitional(machine.state)).length + plan.intentsInFlight
  for (const { uuid } of plan.fail) await failIntent(db, uuid)
  for (const { intent, found } of plan.settle) {
    const adopted = await settleIntent(db, intent, found)
    if (adopted !== null && adopted.state !== 'terminated') {
      machines.push(adopted)
      if (isTransitional(adopted.state)) unsettled++
    }
  }
  for (const adopted of await adoptForeign(db, backend, plan.adopt, options.machineKind)) {
    machines.push(adopted)
    if (isTransitional(adopted.state)) unsettled++
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

/** Forgets ended operations, each only if it is still the machine's (no newer action's). */
async function endOperations (db: PrismaClient, ended: ReadonlyArray<{ id: number, operation: string }>): Promise<void> {
  if (ended.length === 0) return
  await db.$executeRaw`UPDATE machines m SET operation = NULL
    FROM jsonb_to_recordset(${JSON.stringify(ended)}::jsonb) AS e(id int, operation text) WHERE m.id = e.id AND m.operation = e.operation`
}

/**
 * Machines someone made outside Stratus (the cloud's console, another tool) become records of the
 * backend's owner, priced from the cached sizes, each with its first history row. One statement
 * for all of them (an account may bring ten thousand at once), so it is atomic without a
 * transaction; two servers adopting the same machine at once write it once (the backend +
 * provider id is unique, and a conflicting row is skipped with its history row).
 */
async function adoptForeign (db: PrismaClient, backend: Backend, found: readonly ProviderMachine[], kind: string): Promise<Machine[]> {
  if (found.length === 0) return []
  const rows = found.map((machine) => ({
    uuid: randomUUID(),
    provider_id: machine.id,
    name: machine.name,
    state: machine.state,
    size: machine.size,
    image: machine.image,
    location: machine.location,
    public_ips: machine.publicIps,
    private_ips: machine.privateIps,
    tags: machine.tags ?? [],
    extra: machine.extra,
    public_url: machine.publicUrl
  }))
  const at = new Date()
  return db.$queryRaw<Machine[]>`
    WITH found AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(uuid uuid, provider_id text, name text, state machine_state, size text,
        image text, location text, public_ips text[], private_ips text[], tags text[], extra jsonb, public_url text)
    ), adopted AS (
      INSERT INTO machines (uuid, backend_id, provider_id, name, state, kind, size, image, location, public_ips, private_ips, tags, extra,
        hourly_price, currency, last_transition, public_url, owner_id, created_at, updated_at)
      SELECT f.uuid, ${backend.id}, f.provider_id, f.name, f.state, ${kind}, f.size, f.image, f.location, f.public_ips, f.private_ips, f.tags, f.extra,
        s.hourly_price, s.currency, ${at}, f.public_url, ${backend.ownerId}, ${at}, ${at}
      FROM found f LEFT JOIN sizes s ON s.backend_id = ${backend.id} AND s.size_id = f.size
      ON CONFLICT DO NOTHING
      RETURNING *
    ), history AS (
      INSERT INTO transitions (machine_id, from_state, to_state, at, cause, detail)
      SELECT id, NULL, state, ${at}, 'provider_sync', 'adopted: created outside Stratus' FROM adopted
    )
    SELECT id, uuid::text AS uuid, backend_id AS "backendId", provider_id AS "providerId", name, state::text AS state, kind, size, image, location,
      key_id AS "keyId", public_ips AS "publicIps", private_ips AS "privateIps", tags, extra, hourly_price AS "hourlyPrice", currency,
      last_transition AS "lastTransition", public_url AS "publicUrl", admin_password AS "adminPassword", owner_id AS "ownerId",
      created_at AS "createdAt", updated_at AS "updatedAt", destroyed_at AS "destroyedAt", missing_passes AS "missingPasses", operation, last_error AS "lastError"
    FROM adopted ORDER BY id`
}

type Intent = NonNullable<Awaited<ReturnType<PrismaClient['machineIntent']['findUnique']>>>

/**
 * A create the cloud never made (cut off by a crash, or given up after a timeout and still not
 * listed): marked failed, and kept, in case its machine turns up late (it is adopted then).
 */
async function failIntent (db: PrismaClient, uuid: string): Promise<void> {
  await db.machineIntent.updateMany({ where: { uuid, state: { in: ['creating', 'abandoned'] } }, data: { state: 'failed' } })
}

/** A create whose creator has ended without recording it: the cloud's machine becomes a record. */
async function settleIntent (db: PrismaClient, intent: Intent, found: ProviderMachine): Promise<Machine | null> {
  return db.$transaction(async (tx) => {
    // The server that made the call may finish meanwhile: whoever removes the intent writes the row.
    const claimed = await tx.machineIntent.deleteMany({ where: { uuid: intent.uuid } })
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
        ownerId: intent.ownerId,
        tags: found.tags ?? []
      }
    })
    await tx.transition.create({
      data: { machineId: row.id, fromState: null, toState: row.state, at, cause: 'provider_sync', detail: 'adopted: the create was cut off before it was recorded' }
    })
    return row
  })
}
