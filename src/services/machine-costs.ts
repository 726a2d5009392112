import type { Machine, PrismaClient, Transition } from '../generated/prisma/client.ts'
import { billingRuleOf, bills, type BillingRule } from '../domain/billing-rules.ts'
import { machineCost, type MachineCost, type PriceInForce, type StateChange } from '../domain/machine-cost.ts'
import type { MachineState } from '../domain/machine-states.ts'
import { ownedBy } from '../domain/ownership.ts'
import type { Sql, Statement } from '../db/sql.ts'
import type { Principal } from './token-verifier.ts'
import type { MachineRef } from './lookup.ts'

/** A machine's history, oldest first: every transition recorded for it. */
export async function machineHistory (db: PrismaClient, machineId: number): Promise<Transition[]> {
  return db.transition.findMany({ where: { machineId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })
}

/** The source an owner's own price is kept under: it holds from its date over the catalog's, until another override. */
export const OVERRIDE = 'override'

/** A price as size_prices and machines hold it: a Decimal through Prisma, the column's text (6 places) through plain SQL. */
type HourlyPrice = { toFixed(places: number): string } | string | null

/** A kept price change as size_prices holds it. */
export interface KeptPrice { effectiveFrom: Date, hourlyPrice: HourlyPrice, currency: string | null, source: string }

/** A price as pricing reads it: to the micro-unit, as numeric(12, 6) prints it. */
const sixPlaces = (price: HourlyPrice): string | null => price === null ? null : typeof price === 'string' ? price : price.toFixed(6)

/**
 * The prices in force from a size's kept changes, oldest first: each change the size catalog kept,
 * and owners' overrides, each of which holds from its date over the catalog's changes until the
 * next override.
 */
export function pricesInForce (rows: readonly KeptPrice[]): PriceInForce[] {
  let overridden = false
  const inForce: PriceInForce[] = []
  for (const row of rows) {
    if (row.source === OVERRIDE) overridden = true
    else if (overridden) continue
    inForce.push({ from: row.effectiveFrom, hourlyPrice: sixPlaces(row.hourlyPrice), currency: row.currency, source: row.source })
  }
  return inForce
}

/** What a machine's own recorded price is read from. */
type PricedAt = Pick<Machine, 'createdAt' | 'currency'> & { hourlyPrice: HourlyPrice }

/**
 * The prices in force for a machine: its size's. Before the first change kept for the size, the
 * price recorded with the machine when it was made or adopted is in force from then (machines
 * older than price history, documented).
 */
export function timelineOf (machine: PricedAt, rows: readonly KeptPrice[]): readonly PriceInForce[] {
  return timelineFrom(machine, pricesInForce(rows))
}

/** The same, from the size's prices in force (worked out once for all machines of a size, and shared by them: read only). */
export function timelineFrom (machine: PricedAt, kept: readonly PriceInForce[]): readonly PriceInForce[] {
  const recorded: PriceInForce = { from: machine.createdAt, hourlyPrice: sixPlaces(machine.hourlyPrice), currency: machine.currency, source: 'recorded with the machine when it was made or adopted' }
  return kept.length > 0 && kept[0]!.from <= machine.createdAt ? kept : [recorded, ...kept]
}

/** A history as SQL aggregates it (json_build_array of state, epoch ms, cloud status per transition), as pricing reads it. */
export type HistoryTuples = Array<[MachineState, number | string, string | null]>

export const stateChangesOf = (tuples: HistoryTuples | null): StateChange[] =>
  (tuples ?? []).map(([state, at, providerState]) => ({ state, at: new Date(Number(at)), providerState }))

/** A size's kept changes, oldest first. */
export async function keptPrices (db: PrismaClient, backendId: string, sizeId: string): Promise<KeptPrice[]> {
  return db.sizePrice.findMany({ where: { backendId, sizeId }, orderBy: [{ effectiveFrom: 'asc' }, { id: 'asc' }] })
}

export interface MachineCostAnswer extends MachineCost {
  from: Date
  to: Date
  billingNow: boolean
  rule: BillingRule
}

/**
 * What pricing one machine reads, in one prepared statement (the route's hot read, as the
 * machine API's details are: Prisma's per-query cost was most of the answer's time): the
 * machine as its owner (or an administrator) may see it, its backend's provider and settings,
 * its history and its size's kept prices, oldest first. `where` names the machine as each
 * dialect's path does, the owner being the last parameter.
 */
const costInputs = (name: string, where: string): Statement => ({
  name,
  text: `SELECT m.state::text AS state, m.provider_state AS "providerState", m.created_at AS "createdAt", m.hourly_price::text AS "hourlyPrice", m.currency,
      b.provider, b.settings,
      (SELECT json_agg(json_build_array(t.to_state, (extract(epoch FROM t.at) * 1000)::bigint, t.provider_state) ORDER BY t.at, t.id)
        FROM transitions t WHERE t.machine_id = m.id) AS history,
      (SELECT json_agg(json_build_array((extract(epoch FROM p.effective_from) * 1000)::bigint, p.hourly_price::text, p.currency, p.source) ORDER BY p.effective_from, p.id)
        FROM size_prices p WHERE p.backend_id = m.backend_id AND p.size_id = m.size) AS prices
    FROM machines m JOIN backends b ON b.id = m.backend_id
    WHERE ${where}`
})

/** The machine API's integer id ($1). */
const COST_INPUTS_BY_ID = costInputs('machine-cost-inputs', 'm.id = $1 AND ($2::text IS NULL OR m.owner_id = $2)')
/** The backends API's path: a backend still kept ($1) and the cloud's machine id ($2), as findMachineAt reads it. */
const COST_INPUTS_AT = costInputs('machine-cost-inputs-at', 'm.backend_id = $1 AND m.provider_id = $2 AND b.deleted_at IS NULL AND ($3::text IS NULL OR m.owner_id = $3)')

interface CostInputsRow {
  state: MachineState
  providerState: string | null
  createdAt: Date
  hourlyPrice: string | null
  currency: string | null
  provider: string
  settings: unknown
  history: HistoryTuples | null
  prices: Array<[number, string | null, string | null, string]> | null
}

/**
 * What the machine cost within [from, to): its history priced by its provider's rule and the
 * prices in force; undefined when the user may not see it (or there is no such machine).
 */
export async function costOfMachine (sql: Sql, user: Principal, machine: MachineRef, window: { from: Date, to: Date }, now = new Date()): Promise<MachineCostAnswer | undefined> {
  const owner = ownedBy(user).ownerId ?? null
  const [row] = 'id' in machine
    ? await sql.query<CostInputsRow>(COST_INPUTS_BY_ID, [machine.id, owner])
    : await sql.query<CostInputsRow>(COST_INPUTS_AT, [machine.backendId, machine.providerId, owner])
  if (row === undefined) return undefined
  const kept = (row.prices ?? []).map(([from, hourlyPrice, currency, source]) => ({ effectiveFrom: new Date(from), hourlyPrice, currency, source }))
  const rule = billingRuleOf(row.provider, row.settings)
  const cost = machineCost(stateChangesOf(row.history), timelineOf(row, kept), rule, window, now)
  return { ...cost, from: window.from, to: window.to, billingNow: bills(rule, row.state, row.providerState), rule }
}
