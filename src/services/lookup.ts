import type { Backend, Machine, PrismaClient } from '../generated/prisma/client.ts'
import { ownedBy } from '../domain/ownership.ts'
import { notFound, type Problem } from '../problems.ts'
import type { Principal } from './token-verifier.ts'

export { ownedBy }

/** A machine with its backend, as the routes find it and the machine service acts on it. */
export type MachineWithBackend = Machine & { backend: Backend }

/**
 * Finding the resource a path names, among those the user may see, or answering 404. Another
 * user's resource is "not found" too (never 403, which would confirm it exists); an admin sees all.
 */

export async function findBackend (db: PrismaClient, user: Principal, backendId: string): Promise<Backend> {
  const backend = await db.backend.findFirst({ where: { id: backendId, deletedAt: null, ...ownedBy(user) } })
  if (backend === null) throw notFound(`backend ${backendId}`)
  return backend
}

/** A machine as either dialect's path names it: the machine API's integer id, or the backends API's backend and cloud id. */
export type MachineRef = { id: number } | { backendId: string, providerId: string }

/** The 404 for a machine, named as its path names it. */
export const machineNotFound = (ref: MachineRef): Problem =>
  notFound('id' in ref ? `machine ${ref.id}` : `machine ${ref.providerId} of backend ${ref.backendId}`)

/** A machine by the backends API's path: its backend and the provider's machine id. */
export async function findMachineAt (db: PrismaClient, user: Principal, backendId: string, providerId: string): Promise<MachineWithBackend> {
  const machine = await db.machine.findFirst({
    where: { backendId, providerId, backend: { deletedAt: null }, ...ownedBy(user) },
    include: { backend: true }
  })
  if (machine === null) throw machineNotFound({ backendId, providerId })
  return machine
}

/** A machine by the machine API's integer id. */
export async function findMachine (db: PrismaClient, user: Principal, id: number): Promise<MachineWithBackend> {
  const machine = await db.machine.findFirst({ where: { id, ...ownedBy(user) }, include: { backend: true } })
  if (machine === null) throw machineNotFound({ id })
  return machine
}
