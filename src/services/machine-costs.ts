import type { Machine, PrismaClient, Transition } from '../generated/prisma/client.ts'
import { billingRuleOf, bills, type BillingRule } from '../domain/billing-rules.ts'
import { machineCost, type MachineCost, type PriceInForce, type StateChange } from '../domain/machine-cost.ts'
import type { MachineState } from '../domain/machine-states.ts'
import type { MachineWithBackend } from './lookup.ts'

/** A machine's history, oldest first: every transition recorded for it. */
export async function machineHistory (db: PrismaClient, machineId: number): Promise<Transition[]> {
  return db.transition.findMany({ where: { machineId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })
}

/** What pricing reads of a machine's history, oldest first: the three columns it needs, not whole rows. */
async function stateChanges (db: PrismaClient, machineId: number): Promise<StateChange[]> {
  const rows = await db.$queryRaw<Array<{ state: MachineState, at: number | bigint, providerState: string | null }>>`
    SELECT to_state::text AS state, (extract(epoch FROM at) * 1000)::bigint AS at, provider_state AS "providerState"
    FROM transitions WHERE machine_id = ${machineId} ORDER BY at, id`
  return rows.map((row) => ({ state: row.state, at: new Date(Number(row.at)), providerState: row.providerState }))
}

/** The source an owner's own price is kept under: it holds from its date over the catalog's, until another override. */
export const OVERRIDE = 'override'

/** A kept price change as size_prices holds it. */
export interface KeptPrice { effectiveFrom: Date, hourlyPrice: { toFixed(places: number): string } | null, currency: string | null, source: string }

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
    inForce.push({ from: row.effectiveFrom, hourlyPrice: row.hourlyPrice?.toFixed(6) ?? null, currency: row.currency, source: row.source })
  }
  return inForce
}

/**
 * The prices in force for a machine: its size's. Before the first change kept for the size, the
 * price recorded with the machine when it was made or adopted is in force from then (machines
 * older than price history, documented).
 */
export function timelineOf (machine: Pick<Machine, 'createdAt' | 'hourlyPrice' | 'currency'>, rows: readonly KeptPrice[]): PriceInForce[] {
  return timelineFrom(machine, pricesInForce(rows))
}

/** The same, from the size's prices in force (worked out once for all machines of a size). */
export function timelineFrom (machine: Pick<Machine, 'createdAt' | 'hourlyPrice' | 'currency'>, kept: readonly PriceInForce[]): PriceInForce[] {
  const recorded: PriceInForce = { from: machine.createdAt, hourlyPrice: machine.hourlyPrice?.toFixed(6) ?? null, currency: machine.currency, source: 'recorded with the machine when it was made or adopted' }
  return kept.length > 0 && kept[0]!.from <= machine.createdAt ? [...kept] : [recorded, ...kept]
}

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

/** What the machine cost within [from, to): its history priced by its provider's rule and the prices in force. */
export async function costOfMachine (db: PrismaClient, machine: MachineWithBackend, window: { from: Date, to: Date }, now = new Date()): Promise<MachineCostAnswer> {
  const [history, kept] = await Promise.all([stateChanges(db, machine.id), machine.size === null ? [] : keptPrices(db, machine.backendId, machine.size)])
  const prices = timelineOf(machine, kept)
  const rule = billingRuleOf(machine.backend.provider, machine.backend.settings)
  const cost = machineCost(history, prices, rule, window, now)
  return { ...cost, from: window.from, to: window.to, billingNow: bills(rule, machine.state, machine.providerState), rule }
}
