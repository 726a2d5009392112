import type { Prisma, PrismaClient, Machine, Backend } from '../generated/prisma/client.ts'
import { billingRuleOf, type BillingRule } from '../domain/billing-rules.ts'
import type { PriceInForce, StateChange } from '../domain/machine-cost.ts'
import { ownedBy } from '../domain/ownership.ts'
import { timelineOf } from './machine-costs.ts'

/** A machine with what prices it: its history, the prices in force for its size, its cloud's rule. */
export interface PricedMachine { machine: Machine & { backend: Backend }, history: StateChange[], timeline: PriceInForce[], rule: BillingRule }

/**
 * The user's machines (every machine, for an administrator) that lived within [from, to), with
 * what prices them, read in three statements for all of them.
 */
export async function pricedMachines (db: PrismaClient, user: { id: string, isAdmin: boolean }, window: { from: Date, to: Date }): Promise<PricedMachine[]> {
  return pricedWhere(db, { ...ownedBy(user), ...aliveWithin(window) })
}

/** Machines that lived within [from, to): made before its end, not destroyed before its start. */
export const aliveWithin = (window: { from: Date, to: Date }): Prisma.MachineWhereInput =>
  ({ createdAt: { lt: window.to }, OR: [{ destroyedAt: null }, { destroyedAt: { gte: window.from } }] })

/** The machines a filter finds, with what prices them. */
export async function pricedWhere (db: PrismaClient, where: Prisma.MachineWhereInput): Promise<PricedMachine[]> {
  const machines = await db.machine.findMany({ where, include: { backend: true }, orderBy: { id: 'asc' } })
  const ids = machines.map((machine) => machine.id)
  const [transitions, prices] = await Promise.all([
    db.transition.findMany({ where: { machineId: { in: ids } }, orderBy: [{ machineId: 'asc' }, { at: 'asc' }, { id: 'asc' }] }),
    db.sizePrice.findMany({ where: { backendId: { in: [...new Set(machines.map((machine) => machine.backendId))] } }, orderBy: [{ effectiveFrom: 'asc' }, { id: 'asc' }] })
  ])
  const historyOf = groupBy(transitions, (row) => row.machineId)
  const pricesOf = groupBy(prices, (row) => `${row.backendId}\u0000${row.sizeId}`)
  return machines.map((machine) => ({
    machine,
    history: (historyOf.get(machine.id) ?? []).map((row) => ({ state: row.toState, at: row.at, providerState: row.providerState })),
    timeline: timelineOf(machine, pricesOf.get(`${machine.backendId}\u0000${machine.size ?? ''}`) ?? []),
    rule: billingRuleOf(machine.backend.provider, machine.backend.settings)
  }))
}

/** Rows by a key, each group in the rows' order (Map.groupBy is Node 21's). */
function groupBy<T, K> (rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const row of rows) {
    const k = key(row)
    const group = groups.get(k)
    if (group === undefined) groups.set(k, [row])
    else group.push(row)
  }
  return groups
}
