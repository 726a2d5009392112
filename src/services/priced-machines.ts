import type { Prisma, PrismaClient } from '../generated/prisma/client.ts'
import { billingRuleOf, type BillingRule } from '../domain/billing-rules.ts'
import type { PriceInForce, StateChange } from '../domain/machine-cost.ts'
import { ownedBy } from '../domain/ownership.ts'
import { pricesInForce, stateChangesOf, timelineFrom, type HistoryTuples } from './machine-costs.ts'

/** What pricing and grouping read of a machine. */
const MACHINE_FIELDS = {
  id: true,
  backendId: true,
  ownerId: true,
  size: true,
  tags: true,
  state: true,
  createdAt: true,
  hourlyPrice: true,
  currency: true,
  backend: { select: { provider: true, settings: true } }
} as const satisfies Prisma.MachineSelect
export type PricedFields = Prisma.MachineGetPayload<{ select: typeof MACHINE_FIELDS }>

/** A machine with what prices it: its history, the prices in force for its size, its cloud's rule. */
export interface PricedMachine { machine: PricedFields, history: StateChange[], timeline: readonly PriceInForce[], rule: BillingRule }

/**
 * Where a machine's history must begin for [from, ...) to be priced exactly. A per-second rule
 * with no monthly cap needs only the state it was in a day before `from`: a run that reaches
 * `from` has by then outlasted any minimum, so nothing earlier changes what it bills there. A rule
 * in steps (DigitalOcean's started hours) or with a cap needs the whole history.
 */
const TRIMMED_LEAD_MS = 86_400_000
const trimmable = (rule: BillingRule): boolean => rule.stepSeconds === 1 && rule.monthlyCapHours === null && rule.minimumSeconds * 1000 <= TRIMMED_LEAD_MS

/**
 * The user's machines (every machine, for an administrator) that lived within [from, to), with
 * what prices them, read in three statements for all of them.
 */
export async function pricedMachines (db: PrismaClient, user: { id: string, isAdmin: boolean }, window: { from: Date, to: Date }): Promise<PricedMachine[]> {
  return pricedWhere(db, { ...ownedBy(user), ...aliveWithin(window) }, window)
}

/** Machines that lived within [from, to): made before its end, not destroyed before its start. */
export const aliveWithin = (window: { from: Date, to: Date }): Prisma.MachineWhereInput =>
  ({ createdAt: { lt: window.to }, OR: [{ destroyedAt: null }, { destroyedAt: { gte: window.from } }] })

/**
 * The machines a filter finds, with what prices them within [from, to): of each history, what
 * that window needs (none after its end; for a per-second rule, from the state a day before its
 * start), in one statement for all of them.
 */
export async function pricedWhere (db: PrismaClient, where: Prisma.MachineWhereInput, window: { from: Date, to: Date }): Promise<PricedMachine[]> {
  const machines = await db.machine.findMany({ where, select: MACHINE_FIELDS, orderBy: { id: 'asc' } })
  const rules = machines.map((machine) => billingRuleOf(machine.backend.provider, machine.backend.settings))
  const trimmed = machines.filter((_, i) => trimmable(rules[i]!)).map((machine) => machine.id)
  const whole = machines.filter((_, i) => !trimmable(rules[i]!)).map((machine) => machine.id)
  const cutoff = new Date(window.from.getTime() - TRIMMED_LEAD_MS)
  const [transitions, prices] = await Promise.all([
    // One row a machine, its history as JSON (state, epoch ms, cloud status): a few thousand rows
    // to decode instead of a hundred thousand.
    db.$queryRaw<Array<{ machineId: number, history: HistoryTuples }>>`
      SELECT machine_id AS "machineId", json_agg(json_build_array(state, (extract(epoch FROM at) * 1000)::bigint, provider_state) ORDER BY at, id) AS history
      FROM (
        SELECT machine_id, to_state::text AS state, at, provider_state, id FROM transitions
          WHERE machine_id = ANY(${whole}::int[]) AND at < ${window.to}
        UNION ALL
        SELECT machine_id, to_state::text, at, provider_state, id FROM transitions
          WHERE machine_id = ANY(${trimmed}::int[]) AND at >= ${cutoff} AND at < ${window.to}
        UNION ALL
        SELECT l.machine_id, l.state, l.at, l.provider_state, l.id FROM unnest(${trimmed}::int[]) AS m(id) CROSS JOIN LATERAL (
          SELECT machine_id, to_state::text AS state, at, provider_state, id FROM transitions t
          WHERE t.machine_id = m.id AND t.at < ${cutoff} ORDER BY t.at DESC, t.id DESC LIMIT 1) l
      ) h GROUP BY machine_id`,
    db.sizePrice.findMany({ where: { backendId: { in: [...new Set(machines.map((machine) => machine.backendId))] } }, orderBy: [{ effectiveFrom: 'asc' }, { id: 'asc' }] })
  ])
  const historyOf = new Map(transitions.map((row) => [row.machineId, row.history]))
  // A size's prices in force are worked out once, for all its machines.
  const inForceOf = new Map([...groupBy(prices, (row) => `${row.backendId}\u0000${row.sizeId}`)].map(([key, rows]) => [key, pricesInForce(rows)]))
  return machines.map((machine, i) => ({
    machine,
    history: stateChangesOf(historyOf.get(machine.id) ?? null),
    timeline: timelineFrom(machine, inForceOf.get(`${machine.backendId}\u0000${machine.size ?? ''}`) ?? []),
    rule: rules[i]!
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
