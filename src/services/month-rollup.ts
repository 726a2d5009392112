import type { PrismaClient } from '../generated/prisma/client.ts'
import { machineCost } from '../domain/machine-cost.ts'
import { aliveWithin, pricedWhere } from './priced-machines.ts'

/**
 * Closed months rolled up per machine (docs/costs.md, "Closed months"): what each machine cost in
 * a UTC month, priced once, so that a year of reports reads twelve rows a machine instead of
 * pricing every transition again. Idempotent: rolling a month up again writes the same rows. Each
 * month keeps the last transition and price change it was priced through; one that lands in the
 * month later (history written late, an owner's price from a past date) makes its machines stale,
 * and the next roll-up (the job's, or a report's own) prices those again.
 */

/** A month is rolled up this long after its end: a change recorded just before midnight may commit just after. */
export const SETTLE_MS = 10 * 60_000

export const monthOf = (date: Date): Date => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1))
export const nextMonth = (month: Date): Date => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1))

/** The whole UTC months within [from, to) that had closed (and settled) by now. */
export function closedMonthsWithin (window: { from: Date, to: Date }, now: Date): Date[] {
  const months: Date[] = []
  let month = monthOf(window.from)
  if (month < window.from) month = nextMonth(month)
  while (nextMonth(month) <= window.to && nextMonth(month).getTime() <= now.getTime() - SETTLE_MS) {
    months.push(month)
    month = nextMonth(month)
  }
  return months
}

/** Rolls up one closed month: every machine that lived in it the first time, then only the stale ones. Returns how many were priced. */
export async function rollUpMonth (db: PrismaClient, month: Date): Promise<number> {
  const end = nextMonth(month)
  const [marks] = await db.$queryRaw<Array<{ transitions: bigint | null, prices: bigint | null }>>`
    SELECT (SELECT max(id) FROM transitions) AS transitions, (SELECT max(id) FROM size_prices) AS prices`
  const done = await db.costMonth.findUnique({ where: { month } })
  let ids: number[] | null = null
  if (done !== null) {
    const stale = await db.$queryRaw<Array<{ id: number }>>`
      SELECT DISTINCT machine_id AS id FROM transitions WHERE id > ${done.transitionsThrough} AND at < ${end}
      UNION
      SELECT m.id FROM size_prices p JOIN machines m ON m.backend_id = p.backend_id AND m.size = p.size_id
        WHERE p.id > ${done.pricesThrough} AND p.effective_from < ${end}`
    ids = stale.map((row) => row.id)
    if (ids.length === 0) return 0
  }
  const window = { from: month, to: end }
  const priced = await pricedWhere(db, { ...aliveWithin(window), ...(ids === null ? {} : { id: { in: ids } }) }, window)
  const rows = priced.map(({ machine, history, timeline, rule }) => {
    const cost = machineCost(history, timeline, rule, window, end)
    return { machine_id: machine.id, costs: cost.totals, billed_seconds: cost.billedSeconds, unpriced_seconds: cost.unpricedSeconds }
  })
  for (let i = 0; i < rows.length; i += 5000) {
    await db.$executeRaw`
      INSERT INTO machine_month_costs (machine_id, month, costs, billed_seconds, unpriced_seconds)
      SELECT r.machine_id, ${month}::date, r.costs, r.billed_seconds, r.unpriced_seconds
      FROM jsonb_to_recordset(${JSON.stringify(rows.slice(i, i + 5000))}::jsonb) AS r(machine_id int, costs jsonb, billed_seconds int, unpriced_seconds int)
      ON CONFLICT (machine_id, month) DO UPDATE SET costs = EXCLUDED.costs, billed_seconds = EXCLUDED.billed_seconds, unpriced_seconds = EXCLUDED.unpriced_seconds`
  }
  // Through the marks read before the histories were: a change after them is found stale next time.
  await db.$executeRaw`
    INSERT INTO cost_months (month, transitions_through, prices_through, rolled_at)
    VALUES (${month}::date, ${marks?.transitions ?? 0n}, ${marks?.prices ?? 0n}, now())
    ON CONFLICT (month) DO UPDATE SET transitions_through = GREATEST(cost_months.transitions_through, EXCLUDED.transitions_through),
      prices_through = GREATEST(cost_months.prices_through, EXCLUDED.prices_through), rolled_at = EXCLUDED.rolled_at`
  return rows.length
}

/** Every closed month since the first machine was made, each as rollUpMonth does it (the job's work). */
export async function rollUpClosedMonths (db: PrismaClient, now: Date): Promise<number> {
  const first = await db.machine.findFirst({ orderBy: { createdAt: 'asc' }, select: { createdAt: true } })
  if (first === null) return 0
  let priced = 0
  for (const month of closedMonthsWithin({ from: monthOf(first.createdAt), to: now }, now)) priced += await rollUpMonth(db, month)
  return priced
}
