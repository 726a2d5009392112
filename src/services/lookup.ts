import type { Backend, PrismaClient } from '../generated/prisma/client.ts'
import { notFound } from '../problems.ts'
import type { MachineWithBackend } from './machine-service.ts'

/** Finding the resource a path names, or answering 404. */
export async function findBackend (db: PrismaClient, backendId: string): Promise<Backend> {
  const backend = await db.backend.findFirst({ where: { id: backendId, deletedAt: null } })
  if (backend === null) throw notFound(`backend ${backendId}`)
  return backend
}

/** A machine by the backends API's path: its backend and the provider's machine id. */
export async function findMachineAt (db: PrismaClient, backendId: string, providerId: string): Promise<MachineWithBackend> {
  const machine = await db.machine.findFirst({
    where: { backendId, providerId, backend: { deletedAt: null } },
    include: { backend: true }
  })
  if (machine === null) throw notFound(`machine ${providerId} of backend ${backendId}`)
  return machine
}

/** A machine by the machine API's integer id. */
export async function findMachine (db: PrismaClient, id: number): Promise<MachineWithBackend> {
  const machine = await db.machine.findUnique({ where: { id }, include: { backend: true } })
  if (machine === null) throw notFound(`machine ${id}`)
  return machine
}
