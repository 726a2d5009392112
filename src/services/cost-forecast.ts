import type { PrismaClient, Schedule } from '../generated/prisma/client.ts'
import { bills } from '../domain/billing-rules.ts'
import { machineCost, type MachineCost } from '../domain/machine-cost.ts'
import { ownedBy } from '../domain/ownership.ts'
import { projectedHistory, type PlannedFire } from '../domain/schedule-projection.ts'
import { selects } from '../domain/schedule-selector.ts'
import { addTotals, money } from './cost-report.ts'
import { pricedMachines, type PricedMachine } from './priced-machines.ts'
import { nextFireOf, ownerOf, selectorOf, triggerOf } from './schedules.ts'

/**
 * What the month will cost (docs/costs.md, "Forecast"), and what a schedule saves. Both price a
 * machine's recorded history continued into the future: as it is now (the run rate), or as the
 * schedules ahead would move it (schedule-projection.ts), by its cloud's billing rule at the
 * prices in force now. So a stop on DigitalOcean, which bills an off droplet, saves nothing.
 */

/** Fires counted ahead per schedule: a minutely schedule over a month is 44,640. */
const FIRES_AHEAD_LIMIT = 50_000

type Owner = { id: string, isAdmin: boolean }
interface ScheduleAhead { schedule: Schedule, owner: Owner, fires: Date[] }

type Money = Array<{ currency: string, cost: string }>

/** A schedule's fires within [from, to), as its bounds (expires, max_run_count) allow. */
function firesWithin (schedule: Schedule, from: Date, to: Date): Date[] {
  const fires: Date[] = []
  const timing = { ...schedule, trigger: triggerOf(schedule) }
  let at = schedule.nextFireAt
  while (at !== null && at < to && fires.length < FIRES_AHEAD_LIMIT) {
    if (at >= from) fires.push(at)
    at = nextFireOf({ ...timing, runCount: schedule.runCount + fires.length }, at)
  }
  return fires
}

async function schedulesAhead (db: PrismaClient, where: object, window: { from: Date, to: Date }): Promise<ScheduleAhead[]> {
  const schedules = await db.schedule.findMany({ where: { ...where, enabled: true, nextFireAt: { not: null } }, include: { owner: { select: { id: true, isAdmin: true } } } })
  return schedules.map(({ owner, ...schedule }) => ({ schedule, owner, fires: firesWithin(schedule, window.from, window.to) }))
}

/** The fires ahead that act on a machine, as the schedules' selectors pick it now. */
function firesFor (priced: PricedMachine, schedules: readonly ScheduleAhead[]): PlannedFire[] {
  return schedules
    .filter((ahead) => selects(selectorOf(ahead.schedule), ahead.owner, priced.machine))
    .flatMap((ahead) => ahead.fires.map((at) => ({ at, action: ahead.schedule.action })))
}

/** The machine's cost within the window, its history continued to the window's end as the fires would move it. */
const costWith = (priced: PricedMachine, fires: readonly PlannedFire[], window: { from: Date, to: Date }): MachineCost =>
  machineCost(projectedHistory(priced.history, fires), priced.timeline, priced.rule, window, window.to)

export interface Forecast {
  accrued: Money
  projected: Money
  projectedWithSchedules: Money
  unpricedSeconds: number
  schedules: number
}

/**
 * A month: what it cost until now, what it will cost at today's run rate, and what it will cost
 * with the enabled schedules' fires ahead applied. A past month's three are equal.
 */
export async function forecast (db: PrismaClient, user: Owner, month: { from: Date, to: Date }, now: Date): Promise<Forecast> {
  const machines = await pricedMachines(db, user, month)
  const ahead = { from: now > month.from ? now : month.from, to: month.to }
  const schedules = now < month.to ? await schedulesAhead(db, ownedBy(user), ahead) : []
  const sums = { accrued: new Map<string, bigint>(), projected: new Map<string, bigint>(), scheduled: new Map<string, bigint>() }
  let unpriced = 0
  for (const priced of machines) {
    addTotals(sums.accrued, machineCost(priced.history, priced.timeline, priced.rule, { from: month.from, to: now < month.to ? now : month.to }, now).totals)
    const projected = costWith(priced, [], month)
    addTotals(sums.projected, projected.totals)
    unpriced += projected.unpricedSeconds
    const fires = firesFor(priced, schedules)
    addTotals(sums.scheduled, fires.length === 0 ? projected.totals : costWith(priced, fires, month).totals)
  }
  return {
    accrued: money(sums.accrued),
    projected: money(sums.projected),
    projectedWithSchedules: money(sums.scheduled),
    unpricedSeconds: unpriced,
    schedules: schedules.filter((entry) => entry.fires.length > 0).length
  }
}

export interface MachineSavings { machineId: number, billedWithout: number, billedWith: number, savings: Money, reason: string | null }

/**
 * What a schedule saves within [from, to): for each machine it selects now, the cost with the
 * owner's other enabled schedules alone, less the cost with this one too. So a stop schedule is
 * counted with the start schedule that pairs with it, and a start schedule saves less than 0.
 */
export async function scheduleSavings (db: PrismaClient, schedule: Schedule, window: { from: Date, to: Date }): Promise<{ savings: Money, machines: MachineSavings[] }> {
  const owner = await ownerOf(db, schedule)
  const [machines, others] = await Promise.all([
    pricedMachines(db, owner, window),
    schedulesAhead(db, { ownerId: schedule.ownerId, id: { not: schedule.id } }, window)
  ])
  const own: ScheduleAhead = { schedule, owner, fires: schedule.enabled ? firesWithin(schedule, window.from, window.to) : [] }
  const total = new Map<string, bigint>()
  const rows: MachineSavings[] = []
  for (const priced of machines) {
    if (!selects(selectorOf(schedule), owner, priced.machine)) continue
    const without = costWith(priced, firesFor(priced, others), window)
    const withIt = costWith(priced, firesFor(priced, [...others, own]), window)
    const saved = new Map<string, bigint>()
    addTotals(saved, without.totals)
    addTotals(saved, withIt.totals, -1n)
    addTotals(total, without.totals)
    addTotals(total, withIt.totals, -1n)
    rows.push({ machineId: priced.machine.id, billedWithout: without.billedSeconds, billedWith: withIt.billedSeconds, savings: money(saved), reason: reasonForNothing(priced, schedule, without.billedSeconds - withIt.billedSeconds) })
  }
  return { savings: money(total), machines: rows }
}

/** Why a schedule saves a machine nothing, where it does. */
function reasonForNothing (priced: PricedMachine, schedule: Schedule, savedSeconds: number): string | null {
  if (savedSeconds !== 0) return null
  const provider = priced.machine.backend.provider
  if (priced.rule.billableStates.length === 0) return `${provider} bills nothing for the machine itself`
  if (schedule.action === 'stop' && bills(priced.rule, 'stopped')) return `${provider} bills a stopped machine as a running one (until it is destroyed): a stop saves nothing`
  return 'in this window no fire changes whether the machine bills (none is due, or each finds it already so)'
}
