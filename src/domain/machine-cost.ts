import type { MachineState } from './machine-states.ts'
import { bills, type BillingRule } from './billing-rules.ts'
import { decimalUnits, unitsDecimal } from './pricing.ts'

/**
 * What a machine cost, from its recorded transitions, exactly: each state held from one
 * transition to the next, billed by its cloud's rule (billing-rules.ts), priced at the price in
 * force at the time (not today's), in whole seconds and integer nano-units of money. No sampling:
 * the same history always costs the same, however often it is asked.
 */
/** What a cost report sums by: month and day are UTC. */
export const COST_GROUPS = ['machine', 'backend', 'provider', 'size', 'tag', 'user', 'month', 'day'] as const
export type CostGroup = (typeof COST_GROUPS)[number]

export interface StateChange { state: MachineState, at: Date, providerState?: string | null }
export interface PriceInForce { from: Date, hourlyPrice: string | null, currency: string | null, source: string }

export interface CostInterval {
  from: Date
  to: Date
  state: MachineState
  providerState: string | null
  billable: boolean
  /** Seconds billed in this interval: its length while billing, plus a run's minimum or rounding at the run's end. */
  billedSeconds: number
  hourlyPrice: string | null
  currency: string | null
  priceSource: string | null
  /** billedSeconds x hourlyPrice / 3600, to the nano-unit (9 places); null where no price is known. */
  cost: string | null
}

export interface MachineCost {
  intervals: CostInterval[]
  /** Per currency (never converted), the sum of its intervals. */
  totals: Array<{ currency: string, cost: string }>
  billedSeconds: number
  /** Billed seconds with no known price: never counted as free. */
  unpricedSeconds: number
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000)
const dateOf = (second: number): Date => new Date(second * 1000)

/** Nano-units as a 9-place decimal string. */
export const nanoDecimal = (nanos: bigint): string => unitsDecimal(nanos, 9)

/** billed seconds x micro-units per hour, in nano-units, rounded half up: micros x 1000 x s / 3600. */
const costNanos = (billed: number, microsPerHour: bigint): bigint => (microsPerHour * 1000n * BigInt(billed) * 2n + 3600n) / 7200n

interface Piece { from: number, to: number, state: MachineState, providerState: string | null, billable: boolean, billed: number }

/** What a report sums of a machine's cost: per currency in nano-units, and its seconds. */
export interface CostSums {
  nanos: Map<string, bigint>
  billedSeconds: number
  unpricedSeconds: number
}

/**
 * The machine's cost within [from, to). `history` is every transition of the machine, oldest
 * first (its first is the create or adoption); `now` ends the last state if the machine lives on.
 */
export function machineCost (history: readonly StateChange[], prices: readonly PriceInForce[], rule: BillingRule, window: { from: Date, to: Date }, now: Date): MachineCost {
  const intervals: CostInterval[] = []
  const sums = priceHistory(history, prices, rule, window, now, (from, to, piece, billed, price, nanos) => {
    intervals.push({
      from: dateOf(from),
      to: dateOf(to),
      state: piece.state,
      providerState: piece.providerState,
      billable: piece.billable,
      billedSeconds: billed,
      hourlyPrice: price?.hourlyPrice ?? null,
      currency: price?.currency ?? null,
      priceSource: price?.source ?? null,
      cost: nanos === null ? null : nanoDecimal(nanos)
    })
  })
  return {
    intervals,
    totals: [...sums.nanos].map(([currency, sum]) => ({ currency, cost: nanoDecimal(sum) })),
    billedSeconds: sums.billedSeconds,
    unpricedSeconds: sums.unpricedSeconds
  }
}

/** The same cost's sums alone, as a report adds them up: no interval is made, no amount written out. */
export function machineCostSums (history: readonly StateChange[], prices: readonly PriceInForce[], rule: BillingRule, window: { from: Date, to: Date }, now: Date): CostSums {
  return priceHistory(history, prices, rule, window, now)
}

/** Sees each priced interval: [from, to) in epoch seconds, the state held, its billed seconds, its price and cost (nano-units; null where unpriced). */
type IntervalVisitor = (from: number, to: number, piece: Piece, billed: number, price: PriceInForce | undefined, nanos: bigint | null) => void

/** The one pricing of a history (both forms above): its sums, each interval shown to `visit`. */
function priceHistory (history: readonly StateChange[], prices: readonly PriceInForce[], rule: BillingRule, window: { from: Date, to: Date }, now: Date, visit?: IntervalVisitor): CostSums {
  const nowS = seconds(now)
  const end = Math.min(nowS, seconds(window.to))
  // The states as held, each from its transition to the next (or to now), whatever the window.
  const held: Piece[] = []
  for (let i = 0; i < history.length; i++) {
    const change = history[i]!
    if (change.state === 'terminated') break
    const from = seconds(change.at)
    const to = i + 1 < history.length ? seconds(history[i + 1]!.at) : Math.max(nowS, from)
    if (to <= from && i + 1 < history.length) continue
    const billable = bills(rule, change.state, change.providerState ?? null)
    held.push({ from, to: Math.max(to, from), state: change.state, providerState: change.providerState ?? null, billable, billed: billable ? Math.max(0, to - from) : 0 })
  }
  splitMonths(held)
  // Runs of billing states: each bills at least its minimum, in whole steps; what that adds lands on its last piece.
  for (let i = 0; i < held.length;) {
    if (!held[i]!.billable) { i++; continue }
    let j = i
    let length = held[i]!.billed
    while (j + 1 < held.length && held[j + 1]!.billable) length += held[++j]!.billed
    const billed = Math.max(rule.minimumSeconds, Math.ceil(length / rule.stepSeconds) * rule.stepSeconds)
    held[j]!.billed += billed - length
    i = j + 1
  }
  capMonths(held, rule)
  const windowFrom = seconds(window.from)
  const priceFrom = prices.map((price) => seconds(price.from))
  const micros = new Map<PriceInForce, bigint>()
  const sums: CostSums = { nanos: new Map(), billedSeconds: 0, unpricedSeconds: 0 }
  /** One part of a piece, [partFrom, partTo), priced at `price`; `added` is the run's added seconds when this part ends the piece. */
  const part = (piece: Piece, partFrom: number, partTo: number, added: number, price: PriceInForce | undefined): void => {
    const from = Math.max(partFrom, windowFrom)
    const to = Math.min(partTo, end)
    // A part's share of the window: its seconds inside it; the run's added seconds go with its end.
    const inside = Math.max(0, to - from)
    const endsInside = partTo > windowFrom && partTo <= end
    if (inside === 0 && !(added > 0 && endsInside)) return
    const billed = piece.billable ? inside + (endsInside ? added : 0) : 0
    let nanos: bigint | null = null
    if (price !== undefined && price.hourlyPrice !== null) {
      let perHour = micros.get(price)
      if (perHour === undefined) micros.set(price, perHour = decimalUnits(price.hourlyPrice, 6))
      nanos = costNanos(billed, perHour)
      if (price.currency !== null) sums.nanos.set(price.currency, (sums.nanos.get(price.currency) ?? 0n) + nanos)
    } else sums.unpricedSeconds += billed
    sums.billedSeconds += billed
    visit?.(from, Math.max(from, to), piece, billed, price, nanos)
  }
  for (const piece of held) {
    // Wholly before the window (its run's added seconds too) or after it: nothing of it is inside.
    if (piece.to <= windowFrom || piece.from > end) continue
    // Cut where the price changed, each part at the price in force at its start (the run's added seconds at its end's).
    const added = piece.billed - (piece.billable ? piece.to - piece.from : 0)
    let k = inForceAt(priceFrom, piece.from)
    let from = piece.from
    while (k + 1 < priceFrom.length && priceFrom[k + 1]! < piece.to) {
      if (priceFrom[k + 1]! > from) {
        part(piece, from, priceFrom[k + 1]!, 0, prices[k])
        from = priceFrom[k + 1]!
      }
      k++
    }
    part(piece, from, piece.to, added, prices[added > 0 ? inForceAt(priceFrom, piece.to) : k])
  }
  return sums
}

/** The index of the price in force at a second (prices oldest first): the last begun by then; -1 before the first. */
function inForceAt (priceFrom: readonly number[], at: number): number {
  let k = priceFrom.length - 1
  while (k >= 0 && priceFrom[k]! > at) k--
  return k
}

/** Pieces cut at the start of each calendar month (UTC), so that a monthly cap counts each month's own seconds. */
function splitMonths (pieces: Piece[]): void {
  // Pieces are in time order: the next month's start is worked out once per month, not per piece.
  let monthStart = Infinity
  let next = -Infinity
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i]!
    if (piece.from >= next || piece.from < monthStart) {
      const start = dateOf(piece.from)
      monthStart = seconds(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)))
      next = seconds(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)))
    }
    if (next < piece.to) {
      pieces.splice(i + 1, 0, { ...piece, from: next, billed: piece.billable ? piece.to - next : 0 })
      piece.to = next
      piece.billed = piece.billable ? next - piece.from : 0
    }
  }
}

/** A cloud with a monthly cap bills no more than its cap's seconds in a calendar month (UTC): later seconds are not billed. */
function capMonths (pieces: Piece[], rule: BillingRule): void {
  if (rule.monthlyCapHours === null) return
  const used = new Map<string, number>()
  for (const piece of pieces) {
    if (!piece.billable) continue
    const month = dateOf(piece.from).toISOString().slice(0, 7)
    const left = rule.monthlyCapHours * 3600 - (used.get(month) ?? 0)
    piece.billed = Math.max(0, Math.min(piece.billed, left))
    used.set(month, (used.get(month) ?? 0) + piece.billed)
  }
}
