import { Prisma, type Backend, type Machine, type PrismaClient } from '../generated/prisma/client.ts'
import { machineCostSums, nanoDecimal, type CostGroup, type CostSums } from '../domain/machine-cost.ts'
import { ownedBy } from '../domain/ownership.ts'
import { decimalUnits } from '../domain/pricing.ts'
import { invalidQuery } from '../problems.ts'
import type { Principal } from './token-verifier.ts'
import { pricedMachines } from './priced-machines.ts'
import { closedMonthsWithin, nextMonth, rollUpMonth } from './month-rollup.ts'

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

/**
 * What the user's machines (every machine, for an administrator) cost within [from, to), grouped.
 * Each machine's cost is its own history priced as GET /api/machine/{id}/cost prices it; histories
 * and prices are read in two statements for all of them. A machine counts under each of its tags
 * (so tag groups may add up to more than the total); an untagged one under `null`.
 */
export async function costReport (db: PrismaClient, user: Principal, window: { from: Date, to: Date }, group: CostGroup, now = new Date()): Promise<{ groups: CostGroupRow[], totals: Array<{ currency: string, cost: string }> }> {
  const groups = new Map<string | null, Sums>()
  const totals = new Map<string, bigint>()
  /** One group's share: a machine-window priced here, or a group's rolled-up months. */
  const addToGroup = (key: string | null, nanos: ReadonlyMap<string, bigint>, billed: number, unpriced: number, machines: Iterable<number>): void => {
    let sums = groups.get(key)
    if (sums === undefined) groups.set(key, sums = { nanos: new Map(), billed: 0, unpriced: 0, machines: new Set() })
    addNanos(sums.nanos, nanos)
    sums.billed += billed
    sums.unpriced += unpriced
    for (const id of machines) sums.machines.add(id)
  }
  const add = (machine: GroupedMachine, period: string, cost: CostSums): void => {
    if (cost.billedSeconds === 0) return
    for (const key of keysOf(machine, group, period)) addToGroup(key, cost.nanos, cost.billedSeconds, cost.unpricedSeconds, [machine.id])
    addNanos(totals, cost.nanos)
  }
  // Whole closed months come from their roll-up (brought up to date first); the rest is priced here.
  const months = group === 'day' ? [] : closedMonthsWithin(window, now)
  for (const month of months) await rollUpMonth(db, month)
  if (months.length > 0 && group !== 'day') {
    const rolled = await rolledUp(db, user, months, group)
    for (const row of rolled) addToGroup(row.key, nanosByCurrency(row.costs), row.billed, row.unpriced, row.machines)
    // The totals count each machine once: a tag's groups count it under each of its tags, so they come from another grouping.
    for (const row of group === 'tag' ? await rolledUp(db, user, months, 'backend') : rolled) addTotals(totals, row.costs)
  }
  for (const segment of outside(window, months)) {
    const windows = group === 'month' || group === 'day' ? periods(segment.from, segment.to, group) : [{ key: '', ...segment }]
    for (const { machine, history, timeline, rule } of await pricedMachines(db, user, segment)) {
      for (const period of windows) add(machine, period.key, machineCostSums(history, timeline, rule, period, now))
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

/** Adds sums per currency into others. */
function addNanos (sums: Map<string, bigint>, nanos: ReadonlyMap<string, bigint>): void {
  for (const [currency, value] of nanos) sums.set(currency, (sums.get(currency) ?? 0n) + value)
}

/** A cost's totals as sums per currency. */
const nanosByCurrency = (totals: ReadonlyArray<{ currency: string, cost: string }>): Map<string, bigint> => {
  const nanos = new Map<string, bigint>()
  addTotals(nanos, totals)
  return nanos
}

/** Adds a cost's totals into sums per currency (sign -1 takes them away). */
export function addTotals (sums: Map<string, bigint>, totals: ReadonlyArray<{ currency: string, cost: string }>, sign: 1n | -1n = 1n): void {
  for (const total of totals) sums.set(total.currency, (sums.get(total.currency) ?? 0n) + sign * nanosOf(total.cost))
}

/** A group's key in SQL over a rolled-up row (r), its machine (m) and backend (b); a tag's comes from the lateral unnest. */
const ROLLED_KEYS: Readonly<Record<Exclude<CostGroup, 'day'>, string>> = {
  machine: 'm.id::text', backend: 'm.backend_id', provider: 'b.provider', size: 'm.size', tag: 'tag', user: 'm.owner_id', month: "to_char(r.month, 'YYYY-MM')"
}

/**
 * Closed months' roll-up summed per group in the database: a year of months is a few hundred
 * thousand rows that never leave it. Costs are summed as NUMERIC, exactly, per currency.
 */
async function rolledUp (db: PrismaClient, user: Principal, months: readonly Date[], group: Exclude<CostGroup, 'day'>): Promise<Array<{ key: string | null, costs: Array<{ currency: string, cost: string }>, billed: number, unpriced: number, machines: number[] }>> {
  const key = Prisma.raw(ROLLED_KEYS[group])
  const tags = group === 'tag' ? Prisma.sql`CROSS JOIN LATERAL unnest(CASE WHEN cardinality(m.tags) = 0 THEN ARRAY[NULL::text] ELSE m.tags END) AS tag` : Prisma.empty
  const owner = ownedBy(user).ownerId ?? null
  const rows = await db.$queryRaw<Array<{ key: string | null, costs: Array<{ currency: string, cost: string }> | null, billed: bigint, unpriced: bigint, machines: number[] }>>`
    WITH r AS (
      SELECT ${key} AS key, r.machine_id, r.costs, r.billed_seconds, r.unpriced_seconds
      FROM machine_month_costs r JOIN machines m ON m.id = r.machine_id JOIN backends b ON b.id = m.backend_id ${tags}
      WHERE r.month = ANY(${[...months]}::date[]) AND r.billed_seconds > 0 AND (${owner}::text IS NULL OR m.owner_id = ${owner})
    ), money AS (
      SELECT key, c->>'currency' AS currency, sum((c->>'cost')::numeric)::numeric(30, 9)::text AS cost
      FROM r CROSS JOIN LATERAL jsonb_array_elements(r.costs) AS c GROUP BY key, c->>'currency'
    )
    SELECT r.key, (SELECT json_agg(json_build_object('currency', money.currency, 'cost', money.cost)) FROM money WHERE money.key IS NOT DISTINCT FROM r.key) AS costs,
      sum(r.billed_seconds)::bigint AS billed, sum(r.unpriced_seconds)::bigint AS unpriced, array_agg(DISTINCT r.machine_id) AS machines
    FROM r GROUP BY r.key`
  return rows.map((row) => ({ key: row.key, costs: row.costs ?? [], billed: Number(row.billed), unpriced: Number(row.unpriced), machines: row.machines }))
}

/** What a group key is read from. */
type GroupedMachine = Pick<Machine, 'id' | 'backendId' | 'size' | 'tags' | 'ownerId'> & { backend: Pick<Backend, 'provider'> }

/** [from, to) less the whole months in it (contiguous): at most the part before them and the part after. */
function outside (window: { from: Date, to: Date }, months: readonly Date[]): Array<{ from: Date, to: Date }> {
  if (months.length === 0) return [window]
  const end = nextMonth(months.at(-1)!)
  return [{ from: window.from, to: months[0]! }, { from: end, to: window.to }].filter((part) => part.from < part.to)
}

function keysOf (machine: GroupedMachine, group: CostGroup, period: string): Array<string | null> {
  if (group === 'machine') return [String(machine.id)]
  if (group === 'backend') return [machine.backendId]
  if (group === 'provider') return [machine.backend.provider]
  if (group === 'size') return [machine.size]
  if (group === 'tag') return machine.tags.length === 0 ? [null] : machine.tags
  if (group === 'user') return [machine.ownerId]
  return [period]
}
