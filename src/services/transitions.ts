import type { Machine, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import type { MachineState } from '../domain/machine-states.ts'

export interface TransitionRequest {
  machineId: number
  /** The change happens only from one of these states; otherwise nothing is written. */
  from: readonly MachineState[]
  to: MachineState
  cause: TransitionCause
  detail?: string
  /** Other columns to update in the same write (addresses, provider details). */
  patch?: Partial<Pick<Machine, 'publicIps' | 'privateIps' | 'publicUrl' | 'extra' | 'size' | 'image' | 'location'>>
}

/**
 * Moves a machine to a new state and writes its history row, in one transaction. The row is
 * locked first, so of two concurrent requests exactly one finds the state it expects and wins;
 * the other gets null and writes nothing.
 */
export async function applyTransition (db: PrismaClient, request: TransitionRequest): Promise<{ machine: Machine, from: MachineState } | null> {
  return db.$transaction(async (tx) => {
    const [current] = await tx.$queryRaw<Array<{ state: MachineState }>>`SELECT state::text AS state FROM machines WHERE id = ${request.machineId} FOR UPDATE`
    if (current === undefined || !request.from.includes(current.state)) return null
    const at = new Date()
    const machine = await tx.machine.update({
      where: { id: request.machineId },
      data: {
        ...(request.patch as object),
        state: request.to,
        lastTransition: at,
        ...(request.to === 'terminated' ? { destroyedAt: at } : {})
      }
    })
    await tx.transition.create({
      data: { machineId: request.machineId, fromState: current.state, toState: request.to, at, cause: request.cause, detail: request.detail ?? null }
    })
    return { machine, from: current.state }
  })
}
