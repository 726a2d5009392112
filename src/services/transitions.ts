import type { Machine, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import type { MachineState } from '../domain/machine-states.ts'

export interface TransitionRequest {
  machineId: number
  /** The change happens only from one of these states; otherwise nothing is written. */
  from: readonly MachineState[]
  to: MachineState
  cause: TransitionCause
  detail?: string
}

/**
 * Moves a machine to a new state and writes its history row, in one transaction. The row is
 * locked first, so of two concurrent requests exactly one finds the state it expects and wins;
 * the other gets null and writes nothing.
 */
export interface AppliedTransition {
  machine: Machine
  from: MachineState
  /** What the change replaced, so that a claim the cloud then refused can be undone (undoClaim). */
  undo: { transitionId: bigint, lastTransition: Date }
}

export async function applyTransition (db: PrismaClient, request: TransitionRequest): Promise<AppliedTransition | null> {
  return db.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<Array<{ state: MachineState, lastTransition: Date }>>`
      SELECT state::text AS state, last_transition AS "lastTransition" FROM machines WHERE id = ${request.machineId} FOR UPDATE`
    if (current === undefined || !request.from.includes(current.state)) return null
    const at = new Date()
    const machine = await tx.machine.update({
      where: { id: request.machineId },
      data: {
        state: request.to,
        lastTransition: at,
        // An action that failed says why until the next one is accepted (the same rule as below).
        ...(request.cause === 'action_failed' ? { lastError: request.detail ?? null } : request.cause === 'api_action' ? { lastError: null } : {}),
        ...(request.to === 'terminated' ? { destroyedAt: at } : {})
      }
    })
    const row = await tx.transition.create({
      data: { machineId: request.machineId, fromState: current.state, toState: request.to, at, cause: request.cause, detail: request.detail ?? null }
    })
    return { machine, from: current.state, undo: { transitionId: row.id, lastTransition: current.lastTransition } }
  })
}

/**
 * An action's claim that the cloud refused (it certainly did nothing): the machine is put back
 * exactly as it was, its claim's history row removed, so that history and the machine API's
 * lastTransition show only real changes. Only the refusal's reason stays, as last_error (and the
 * request in the audit log). Nothing is undone if the machine moved on meanwhile.
 */
export async function undoClaim (db: PrismaClient, claimed: AppliedTransition, reason: string): Promise<boolean> {
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

export interface BatchedTransition {
  machineId: number
  from: MachineState
  to: MachineState
  detail?: string
  /** Why it changed: each change has its own (src/services/sync-plan.ts decides it). */
  cause: TransitionCause
  /** The provider's details to store with the change; absent: the machine is gone, addresses are cleared. */
  details?: { publicIps: string[], privateIps: string[], publicUrl: string | null, extra: unknown }
}

/**
 * Many machines' state changes from one look at their provider, in one statement: each row is
 * moved only if it is still in the state it was read in (so a concurrent action wins, as with
 * applyTransition), and a history row is written for each one moved. A sync pass over a thousand
 * settling machines is one round trip, not a thousand transactions. Returns the ids moved.
 */
export async function applyTransitions (db: PrismaClient, changes: readonly BatchedTransition[], at = new Date()): Promise<Set<number>> {
  if (changes.length === 0) return new Set()
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
    extra: change.details?.extra ?? null
  }))
  const moved = await db.$queryRaw<Array<{ id: number }>>`
    WITH c AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id int, from_state machine_state, to_state machine_state, detail text, cause transition_cause,
        gone boolean, public_ips text[], private_ips text[], public_url text, extra jsonb)
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
        last_error = CASE WHEN c.cause = 'action_failed' THEN c.detail WHEN c.cause = 'api_action' THEN NULL ELSE m.last_error END,
        missing_passes = 0
      FROM c WHERE m.id = c.id AND m.state = c.from_state
      RETURNING m.id, c.from_state, c.to_state, c.detail, c.cause
    ), history AS (
      INSERT INTO transitions (machine_id, from_state, to_state, at, cause, detail)
      SELECT id, from_state, to_state, ${at}, cause, detail FROM moved
    )
    SELECT id FROM moved`
  return new Set(moved.map((row) => row.id))
}
