import type { Machine, MachineIntent, Prisma, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import type { MachineState } from '../domain/machine-states.ts'
import type { ProviderMachine } from '../providers/driver.ts'

/**
 * The one module that writes machine rows and their history: new rows (a create, a create
 * settled from its intent, a machine adopted from the cloud), state changes (an action's claim,
 * a pass's batch) and what a pass learns besides state. Each rule is written once, in SQL:
 * a change's history row, `last_error` (set by a failed action, cleared by the next claim),
 * `destroyed_at`. Every write is conditional on the state it was decided from, so of two writers
 * (an action and a pass, two servers) exactly one wins and the other changes nothing.
 */

type Db = PrismaClient | Prisma.TransactionClient

/** Rows by id, as Prisma types them (so no column alias is written by hand). */
const readRows = async (db: Db, ids: readonly number[]): Promise<Machine[]> =>
  ids.length === 0 ? [] : db.machine.findMany({ where: { id: { in: [...ids] } }, orderBy: { id: 'asc' } })

// ---------------------------------------------------------------------------------------------
// New rows

/** A machine row to insert with its first history row. */
export interface NewMachine {
  uuid: string
  backendId: string
  ownerId: string | null
  providerId: string
  name: string
  state: MachineState
  kind: string
  size: string | null
  image: string | null
  location: string | null
  keyId: string | null
  publicIps: string[]
  privateIps: string[]
  tags: string[]
  extra: unknown
  publicUrl: string | null
  /** Sealed. */
  adminPassword: string | null
  /** The cloud's operation making it (an encoded OperationRef), followed by the passes. */
  operation: string | null
  /** The price the create was made at; absent: the backend's cached price of its size (an adopted machine). */
  price?: { hourlyPrice: string | null, currency: string | null }
  /** The cloud's own status and its time of it, as the create's answer or the listing gave them. */
  providerState?: string
  providerAt?: Date | null
}

export interface FirstTransition { cause: TransitionCause, detail: string }

/**
 * New machines and their first history rows, in one statement. A row whose backend and provider
 * id (or uuid) is already recorded is skipped with its history row: two servers adopting the same
 * machine at once write it once. Returns the rows written.
 */
export async function insertMachines (db: Db, machines: readonly NewMachine[], first: FirstTransition, at = new Date()): Promise<Machine[]> {
  if (machines.length === 0) return []
  const rows = machines.map((machine) => ({
    uuid: machine.uuid,
    backend_id: machine.backendId,
    owner_id: machine.ownerId,
    provider_id: machine.providerId,
    name: machine.name,
    state: machine.state,
    kind: machine.kind,
    size: machine.size,
    image: machine.image,
    location: machine.location,
    key_id: machine.keyId,
    public_ips: machine.publicIps,
    private_ips: machine.privateIps,
    tags: machine.tags,
    extra: machine.extra ?? {},
    public_url: machine.publicUrl,
    admin_password: machine.adminPassword,
    operation: machine.operation,
    priced: machine.price !== undefined,
    hourly_price: machine.price?.hourlyPrice ?? null,
    currency: machine.price?.currency ?? null,
    provider_state: machine.providerState ?? null,
    provider_at: machine.providerAt ?? null
  }))
  const written = await db.$queryRaw<Array<{ id: number }>>`
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(uuid uuid, backend_id text, owner_id text, provider_id text, name text,
        state machine_state, kind text, size text, image text, location text, key_id text, public_ips text[], private_ips text[], tags text[],
        extra jsonb, public_url text, admin_password text, operation text, priced boolean, hourly_price numeric, currency text,
        provider_state text, provider_at timestamptz)
    ), written AS (
      INSERT INTO machines (uuid, backend_id, owner_id, provider_id, name, state, kind, size, image, location, key_id, public_ips, private_ips,
        tags, extra, public_url, admin_password, operation, hourly_price, currency, last_transition, created_at, updated_at, provider_state)
      SELECT x.uuid, x.backend_id, x.owner_id, x.provider_id, x.name, x.state, x.kind, x.size, x.image, x.location, x.key_id, x.public_ips,
        x.private_ips, x.tags, x.extra, x.public_url, x.admin_password, x.operation,
        CASE WHEN x.priced THEN x.hourly_price ELSE s.hourly_price END, CASE WHEN x.priced THEN x.currency ELSE s.currency END, ${at}, ${at}, ${at},
        x.provider_state
      FROM x LEFT JOIN sizes s ON s.backend_id = x.backend_id AND s.size_id = x.size
      ON CONFLICT DO NOTHING
      RETURNING id, state, uuid
    ), history AS (
      INSERT INTO transitions (machine_id, from_state, to_state, at, cause, detail, provider_state, provider_at)
      SELECT w.id, NULL, w.state, ${at}, ${first.cause}::transition_cause, ${first.detail}, x.provider_state, x.provider_at FROM written w JOIN x ON x.uuid = w.uuid
    )
    SELECT id FROM written`
  return readRows(db, written.map((row) => row.id))
}

/** The record of a create: what the caller asked for (its intent), as the cloud made it. */
export const machineFromIntent = (intent: MachineIntent, made: ProviderMachine, operation: string | null = null): NewMachine => ({
  uuid: intent.uuid,
  backendId: intent.backendId,
  ownerId: intent.ownerId,
  providerId: made.id,
  name: intent.name,
  state: made.state,
  kind: intent.kind,
  size: made.size ?? intent.size,
  image: made.image ?? intent.image,
  location: made.location ?? intent.location,
  keyId: intent.keyId,
  publicIps: made.publicIps,
  privateIps: made.privateIps,
  tags: made.tags ?? [],
  extra: made.extra,
  publicUrl: made.publicUrl,
  adminPassword: intent.adminPassword,
  operation,
  price: { hourlyPrice: intent.hourlyPrice?.toString() ?? null, currency: intent.currency },
  providerState: made.providerState,
  providerAt: made.providerStateAt
})

/** The record of a machine someone made outside Stratus: the backend owner's, priced from its cached sizes. */
export const machineFromCloud = (backend: { id: string, ownerId: string | null }, found: ProviderMachine, uuid: string, kind: string): NewMachine => ({
  uuid,
  backendId: backend.id,
  ownerId: backend.ownerId,
  providerId: found.id,
  name: found.name,
  state: found.state,
  kind,
  size: found.size,
  image: found.image,
  location: found.location,
  keyId: null,
  publicIps: found.publicIps,
  privateIps: found.privateIps,
  tags: found.tags ?? [],
  extra: found.extra,
  publicUrl: found.publicUrl,
  adminPassword: null,
  operation: null,
  providerState: found.providerState,
  providerAt: found.providerStateAt
})

/**
 * A create's intent becomes its machine row, once: whoever removes the intent (the creating
 * request, or a pass that found the machine after the creator gave up) writes the row; the other
 * gets null and writes nothing.
 */
export async function settleIntent (db: PrismaClient, intent: MachineIntent, made: ProviderMachine, first: FirstTransition, operation: string | null = null): Promise<Machine | null> {
  return db.$transaction(async (tx) => {
    const claimed = await tx.machineIntent.deleteMany({ where: { uuid: intent.uuid } })
    if (claimed.count === 0) return null
    const [row] = await insertMachines(tx, [machineFromIntent(intent, made, operation)], first)
    return row ?? null
  })
}

// ---------------------------------------------------------------------------------------------
// State changes

export interface StateChange {
  machineId: number
  from: MachineState
  to: MachineState
  /** Why it changed: each change has its own (src/services/sync-plan.ts decides a pass's). */
  cause: TransitionCause
  detail?: string
  /** What the cloud says of the machine besides its state; absent: the machine is gone, addresses are cleared. */
  details?: MachineDetails
  /** An action's claim: it clears the reason an earlier action failed (a pass settling a move does not). */
  claim?: boolean
  /** The cloud's own status after the change, and its time of it (a pass's); absent: unknown (an action's claim). */
  providerState?: string
  providerAt?: Date | null
  /** A change of the cloud's status alone (our state stays): written only while the record still has this one. */
  fromProviderState?: string
  /**
   * A pass's change: written only if the machine has not moved since the pass read it. Its state
   * alone would let a stale listing through once the machine had gone away and come back (a
   * reboot settled by another pass: rebooting, running, then this pass's rebooting again).
   */
  fromLastTransition?: Date
}

export interface MachineDetails { publicIps: string[], privateIps: string[], publicUrl: string | null, extra: unknown }

/**
 * Many machines' state changes, in one statement: each row moves only if it is still in the state
 * the change was decided from, and a history row is written for each one moved. A pass over a
 * thousand settling machines is one round trip, not a thousand transactions. Returns the rows
 * moved, as they now are, with their history rows' ids.
 */
export async function applyTransitions (db: Db, changes: readonly StateChange[], at = new Date()): Promise<Array<{ machine: Machine, transitionId: bigint }>> {
  if (changes.length === 0) return []
  const rows = changes.map((change) => ({
    id: change.machineId,
    from_state: change.from,
    to_state: change.to,
    detail: change.detail ?? null,
    cause: change.cause,
    gone: change.details === undefined,
    public_ips: change.details?.publicIps ?? [],
    private_ips: change.details?.privateIps ?? [],
    public_url: change.details?.publicUrl ?? null,
    extra: change.details?.extra ?? null,
    claim: change.claim === true,
    provider_state: change.providerState ?? null,
    provider_at: change.providerAt ?? null,
    guarded: change.fromProviderState !== undefined,
    from_provider: change.fromProviderState ?? null,
    from_last_transition: change.fromLastTransition ?? null
  }))
  const moved = await db.$queryRaw<Array<{ id: number, transition_id: bigint }>>`
    WITH c AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id int, from_state machine_state, to_state machine_state, detail text, cause transition_cause,
        gone boolean, public_ips text[], private_ips text[], public_url text, extra jsonb, claim boolean,
        provider_state text, provider_at timestamptz, guarded boolean, from_provider text, from_last_transition timestamptz)
    ), moved AS (
      UPDATE machines m SET
        state = c.to_state,
        last_transition = ${at},
        updated_at = ${at},
        public_ips = c.public_ips,
        private_ips = c.private_ips,
        public_url = CASE WHEN c.gone THEN m.public_url ELSE c.public_url END,
        extra = CASE WHEN c.gone THEN m.extra ELSE c.extra END,
        destroyed_at = CASE WHEN c.to_state = 'terminated' THEN ${at} ELSE m.destroyed_at END,
        -- An action that failed says why until the next one is claimed.
        last_error = CASE WHEN c.cause = 'action_failed' THEN c.detail WHEN c.claim THEN NULL ELSE m.last_error END,
        missing_passes = 0,
        provider_state = COALESCE(c.provider_state, m.provider_state)
      FROM c WHERE m.id = c.id AND m.state = c.from_state AND (NOT c.guarded OR m.provider_state IS NOT DISTINCT FROM c.from_provider)
        AND (c.from_last_transition IS NULL OR m.last_transition = c.from_last_transition)
      RETURNING m.id, c.from_state, c.to_state, c.detail, c.cause, c.provider_state, c.provider_at
    ), history AS (
      INSERT INTO transitions (machine_id, from_state, to_state, at, cause, detail, provider_state, provider_at)
      SELECT id, from_state, to_state, ${at}, cause, detail, provider_state, provider_at FROM moved
      RETURNING id, machine_id
    )
    SELECT machine_id AS id, id AS transition_id FROM history`
  const transitionOf = new Map(moved.map((row) => [row.id, row.transition_id]))
  return (await readRows(db, [...transitionOf.keys()])).map((machine) => ({ machine, transitionId: transitionOf.get(machine.id)! }))
}

export interface Claim {
  machineId: number
  /** The change happens only from one of these states; otherwise nothing is written. */
  from: readonly MachineState[]
  to: MachineState
  cause: TransitionCause
  detail?: string
}

export interface ClaimedMachine {
  machine: Machine
  from: MachineState
  /** What the claim replaced, so that a claim the cloud then refused can be undone (undoClaim). */
  undo: { transitionId: bigint, lastTransition: Date }
}

/**
 * An action's claim on a machine: it moves to the action's transitional state if it is in one of
 * the states the action may start from. The row is locked first, so of two concurrent claims
 * exactly one finds the state it expects and wins; the other gets null and writes nothing.
 */
export async function claim (db: PrismaClient, request: Claim): Promise<ClaimedMachine | null> {
  return db.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<Array<{ state: MachineState, lastTransition: Date }>>`
      SELECT state::text AS state, last_transition AS "lastTransition" FROM machines WHERE id = ${request.machineId} FOR UPDATE`
    if (current === undefined || !request.from.includes(current.state)) return null
    const [moved] = await applyTransitions(tx, [{ ...request, from: current.state, details: undefined, claim: true }])
    if (moved === undefined) return null
    return { machine: moved.machine, from: current.state, undo: { transitionId: moved.transitionId, lastTransition: current.lastTransition } }
  })
}

/**
 * An action's claim that the cloud refused (it certainly did nothing): the machine is put back
 * exactly as it was, its claim's history row removed, so that history and the machine API's
 * lastTransition show only real changes. Only the refusal's reason stays, as last_error (and the
 * request in the audit log). Nothing is undone if the machine moved on meanwhile.
 */
export async function undoClaim (db: PrismaClient, claimed: ClaimedMachine, reason: string): Promise<boolean> {
  const [undone] = await db.$transaction([
    db.machine.updateMany({
      where: { id: claimed.machine.id, state: claimed.machine.state, lastTransition: claimed.machine.lastTransition },
      data: { state: claimed.from, lastTransition: claimed.undo.lastTransition, lastError: reason }
    }),
    db.$executeRaw`DELETE FROM transitions t WHERE t.id = ${claimed.undo.transitionId}
      AND EXISTS (SELECT 1 FROM machines m WHERE m.id = t.machine_id AND m.state = ${claimed.from}::machine_state AND m.last_transition = ${claimed.undo.lastTransition})`
  ])
  return undone.count === 1
}

// ---------------------------------------------------------------------------------------------
// What a pass learns besides state

export interface DetailChange extends MachineDetails {
  machineId: number
  /** The state and the time of the last move the pass read: the details are written only while both stand. */
  state: MachineState
  lastTransition: Date
  /** The cloud's status, where the listing gives one (recorded without a history row: a first sighting, or a move in progress). */
  providerState?: string
}

/**
 * Details that changed (addresses that appear after boot, the provider's extra), in one statement
 * for the whole pass, each conditional on the machine not having moved since it was read, so a
 * concurrent transition wins. Being
 * seen again also clears a machine's missing count.
 */
export async function applyDetails (db: Db, changes: readonly DetailChange[], at = new Date()): Promise<void> {
  if (changes.length === 0) return
  const rows = changes.map((change) => ({
    id: change.machineId,
    state: change.state,
    last_transition: change.lastTransition,
    public_ips: change.publicIps,
    private_ips: change.privateIps,
    public_url: change.publicUrl,
    extra: change.extra,
    provider_state: change.providerState ?? null
  }))
  await db.$executeRaw`
    UPDATE machines m SET public_ips = c.public_ips, private_ips = c.private_ips, public_url = c.public_url, extra = c.extra,
      missing_passes = 0, updated_at = ${at}, provider_state = COALESCE(c.provider_state, m.provider_state)
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS c(id int, state machine_state, last_transition timestamptz, public_ips text[], private_ips text[], public_url text, extra jsonb, provider_state text)
    WHERE m.id = c.id AND m.state = c.state AND m.last_transition = c.last_transition`
}

/** Machines missing from a complete listing: counted, so that two misses in a row destroy them. */
export async function countMissing (db: Db, machineIds: readonly number[]): Promise<void> {
  if (machineIds.length === 0) return
  await db.$executeRaw`UPDATE machines SET missing_passes = missing_passes + 1
    WHERE id = ANY(${[...machineIds]}::int[]) AND state <> 'terminated'`
}

/**
 * The cloud's operation of an accepted action, kept while the machine is still where the claim
 * put it: in its state, not moved since (a pass that settled it and a second action of the same
 * kind meanwhile would otherwise be handed this one's operation).
 */
export async function recordOperation (db: Db, claimed: Machine, operation: string): Promise<boolean> {
  const { count } = await db.machine.updateMany({ where: { id: claimed.id, state: claimed.state, lastTransition: claimed.lastTransition }, data: { operation } })
  return count === 1
}

/** Forgets ended operations, each only if it is still the machine's (no newer action's). */
export async function endOperations (db: Db, ended: ReadonlyArray<{ id: number, operation: string }>): Promise<void> {
  if (ended.length === 0) return
  await db.$executeRaw`UPDATE machines m SET operation = NULL
    FROM jsonb_to_recordset(${JSON.stringify(ended)}::jsonb) AS e(id int, operation text) WHERE m.id = e.id AND m.operation = e.operation`
}
