import type { Machine, PrismaClient, Transition } from '../generated/prisma/client.ts'
import { BILLING_RULES, bills, sandboxRule, type BillingRule } from '../domain/billing-rules.ts'
import { machineCost, type MachineCost, type PriceInForce } from '../domain/machine-cost.ts'
import { MACHINE_STATES, type MachineState } from '../domain/machine-states.ts'
import type { MachineWithBackend } from './lookup.ts'

/** A machine's history, oldest first: every transition recorded for it. */
export async function machineHistory (db: PrismaClient, machineId: number): Promise<Transition[]> {
  return db.transition.findMany({ where: { machineId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] })
}

/** The billing rule of a machine's provider; the simulator's from its backend's billable_states setting. */
export function billingRuleOf (provider: string, settings: unknown): BillingRule {
  if (provider === 'sandbox') {
    const states = (settings as { billable_states?: unknown } | null)?.billable_states
    return sandboxRule(Array.isArray(states) ? states.filter((state): state is MachineState => (MACHINE_STATES as readonly string[]).includes(String(state))) : undefined)
  }
  return BILLING_RULES[provider] ?? { ...sandboxRule(), source: `no billing rule is known for ${provider}: running and rebooting, per second` }
}

/**
 * The prices in force for the machine's size, oldest first: each change kept by the size catalog
 * (size_prices). Before the first change kept, the price recorded with the machine when it was
 * made or adopted is in force from then (machines older than price history, documented).
 */
export async function priceTimeline (db: PrismaClient, machine: Machine): Promise<PriceInForce[]> {
  const changes = machine.size === null ? [] : await db.sizePrice.findMany({ where: { backendId: machine.backendId, sizeId: machine.size }, orderBy: [{ effectiveFrom: 'asc' }, { id: 'asc' }] })
  const kept: PriceInForce[] = changes.map((change) => ({ from: change.effectiveFrom, hourlyPrice: change.hourlyPrice?.toFixed(6) ?? null, currency: change.currency, source: change.source }))
  const recorded: PriceInForce = { from: machine.createdAt, hourlyPrice: machine.hourlyPrice?.toFixed(6) ?? null, currency: machine.currency, source: 'recorded with the machine when it was made or adopted' }
  return kept.length > 0 && kept[0]!.from <= machine.createdAt ? kept : [recorded, ...kept]
}

export interface MachineCostAnswer extends MachineCost {
  from: Date
  to: Date
  billingNow: boolean
  rule: BillingRule
}

/** What the machine cost within [from, to): its history priced by its provider's rule and the prices in force. */
export async function costOfMachine (db: PrismaClient, machine: MachineWithBackend, window: { from: Date, to: Date }, now = new Date()): Promise<MachineCostAnswer> {
  const [history, prices] = await Promise.all([machineHistory(db, machine.id), priceTimeline(db, machine)])
  const rule = billingRuleOf(machine.backend.provider, machine.backend.settings)
  const cost = machineCost(history.map((row) => ({ state: row.toState, at: row.at })), prices, rule, window, now)
  return { ...cost, from: window.from, to: window.to, billingNow: bills(rule, machine.state), rule }
}
