import type { Backend, Machine, PrismaClient } from '../generated/prisma/client.ts'
import { machineCost, nanoDecimal, type CostGroup, type PriceInForce, type StateChange } from '../domain/machine-cost.ts'
import { ownedBy } from '../domain/ownership.ts'
import { decimalUnits } from '../domain/pricing.ts'
import { invalidQuery } from '../problems.ts'
import type { Principal } from './token-verifier.ts'
import { billingRuleOf, type BillingRule } from '../domain/billing-rules.ts'
import { timelineOf } from './machine-costs.ts'

export interface CostGroupRow {
  key: string | null
  costs: Array<{ currency: string, cost: string }>
  billedSeconds: number
  unpricedSeconds: number
  machines: number
}

interface Sums { nanos: Map<string, bigint>, billed: number, unpriced: number, machines: Set<number> }

/** Nano-units of a cost's 9-place decimal string. */
export const nanosOf = (decimal: string): bigint => decimalUnits(decimal, 9)

/** A cost query's window: from the start of the current month (UTC) to now by default; to before from is 422. */
export function costWindow (query: { from?: string, to?: string }, now: Date): { from: Date, to: Date } {
  const from = query.from === undefined ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)) : new Date(query.from)
  const to = query.to === undefined ? now : new Date(query.to)
  if (to < from) throw invalidQuery('to', 'is before from', 'to is before from')
  return { from, to }
}

/** The UTC months or days [from, to) is cut into, each as its own window. */
function periods (from: Date, to: Date, unit: 'month' | 'day'): Array<{ key: string, from: Date, to: Date }> {
  const out: Array<{ key: string, from: Date, to: Date }> = []
  let start = from
  while (start < to) {
    const next = unit === 'month'
      ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1))
      : new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + 1))
    const end = next < to ? next : to
    out.push({ key: start.toISOString().slice(0, unit === 'month' ? 7 : 10), from: start, to: end })
    start = end
  }
  return out
}

/** A machine with what prices it: its history, the prices in force for its size, its cloud's rule. */
export interface PricedMachine { machine: Machine & { backend: Backend }, history: StateChange[], timeline: PriceInForce[], rule: BillingRule }

/**
 * The user's machines (every machine, for an administrator) that lived within [from, to), with
 * what prices them, read in three statements for all of them.
 */
export async function pricedMachines (db: PrismaClient, user: { id: string, isAdmin: boolean }, window: { from: Date, to: Date }): Promise<PricedMachine[]> {
  const machines = await db.machine.findMany({
    where: { ...ownedBy(user), createdAt: { lt: window.to }, OR: [{ destroyedAt: null }, { destroyedAt: { gte: window.from } }] },
    include: { backend: true },
    orderBy: { id: 'asc' }
  })
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

/**
 * What the user's machines (every machine, for an administrator) cost within [from, to), grouped.
 * Each machine's cost is its own history priced as GET /api/machine/{id}/cost prices it; histories
 * and prices are read in two statements for all of them. A machine counts under each of its tags
 * (so tag groups may add up to more than the total); an untagged one under `null`.
 */
export async function costReport (db: PrismaClient, user: Principal, window: { from: Date, to: Date }, group: CostGroup, now = new Date()): Promise<{ groups: CostGroupRow[], totals: Array<{ currency: string, cost: string }> }> {
  const machines = await pricedMachines(db, user, window)
  const groups = new Map<string | null, Sums>()
  const totals = new Map<string, bigint>()
  const windows = group === 'month' || group === 'day' ? periods(window.from, window.to, group) : [{ key: '', ...window }]
  for (const { machine, history, timeline, rule } of machines) {
    for (const period of windows) {
      const cost = machineCost(history, timeline, rule, period, now)
      if (cost.billedSeconds === 0) continue
      for (const key of keysOf(machine, group, period.key)) {
        const sums = groups.get(key) ?? { nanos: new Map(), billed: 0, unpriced: 0, machines: new Set() }
        addTotals(sums.nanos, cost.totals)
        sums.billed += cost.billedSeconds
        sums.unpriced += cost.unpricedSeconds
        sums.machines.add(machine.id)
        groups.set(key, sums)
      }
      addTotals(totals, cost.totals)
    }
  }
  return {
    groups: [...groups].sort(([a], [b]) => (a ?? '').localeCompare(b ?? '', undefined, { numeric: true }))
      .map(([key, sums]) => ({ key, costs: money(sums.nanos), billedSeconds: sums.billed, unpricedSeconds: sums.unpriced, machines: sums.machines.size })),
    totals: money(totals)
  }
}

/** Sums per currency as the routes show them: sorted by currency, 9-place decimal strings. */
export const money = (nanos: ReadonlyMap<string, bigint>): Array<{ currency: string, cost: string }> =>
  [...nanos].sort(([a], [b]) => a.localeCompare(b)).map(([currency, value]) => ({ currency, cost: nanoDecimal(value) }))

/** Adds a cost's totals into sums per currency (sign -1 takes them away). */
export function addTotals (sums: Map<string, bigint>, totals: ReadonlyArray<{ currency: string, cost: string }>, sign: 1n | -1n = 1n): void {
  for (const total of totals) sums.set(total.currency, (sums.get(total.currency) ?? 0n) + sign * nanosOf(total.cost))
}

function keysOf (machine: Machine & { backend: Backend }, group: CostGroup, period: string): Array<string | null> {
  if (group === 'machine') return [String(machine.id)]
  if (group === 'backend') return [machine.backendId]
  if (group === 'provider') return [machine.backend.provider]
  if (group === 'size') return [machine.size]
  if (group === 'tag') return machine.tags.length === 0 ? [null] : machine.tags
  if (group === 'user') return [machine.ownerId]
  return [period]
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
