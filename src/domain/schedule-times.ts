import { CronExpressionParser } from 'cron-parser'

/**
 * When a schedule fires (docs/costs.md, "Schedules"): a five-field cron expression in an IANA
 * zone, a fixed interval, or one instant. Every time here is an absolute instant (a Date); a
 * cron's wall-clock times are read in its zone, so a daylight-saving change moves them as the
 * zone's clocks move, never as the server's.
 */
export type ScheduleWhen =
  | { type: 'cron', expression: string, timezone?: string }
  | { type: 'interval', every: number, period: IntervalPeriod }
  | { type: 'one_off', at: string }

export const INTERVAL_PERIODS = ['minutes', 'hours', 'days'] as const
export type IntervalPeriod = (typeof INTERVAL_PERIODS)[number]

const PERIOD_MS: Readonly<Record<IntervalPeriod, number>> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 }

export const isTimeZone = (zone: string): boolean => {
  try {
    // Intl knows the IANA database the runtime ships; it refuses a name it does not know.
    new Intl.DateTimeFormat('en', { timeZone: zone }).format(0)
    return true
  } catch {
    return false
  }
}

/** Why a `when` cannot be used (field, reason), or null. The schema has checked the shapes. */
export function whenProblem (when: ScheduleWhen, now: Date): { field: string, detail: string } | null {
  if (when.type === 'cron') {
    const zone = when.timezone ?? 'UTC'
    if (!isTimeZone(zone)) return { field: 'when/timezone', detail: `${zone} is not an IANA time zone this server knows` }
    const fields = when.expression.trim().split(/\s+/)
    if (fields.length !== 5) return { field: 'when/expression', detail: 'five fields: minute, hour, day of month, month, day of week (no seconds, no @macros)' }
    try {
      CronExpressionParser.parse(when.expression, { tz: zone, strict: false })
    } catch (error) {
      return { field: 'when/expression', detail: (error as Error).message }
    }
    return null
  }
  if (when.type === 'one_off' && Date.parse(when.at) <= now.getTime()) return { field: 'when/at', detail: 'is in the past' }
  return null
}

/**
 * The first fire strictly after `after`. An interval counts from its anchor (the schedule's
 * start_after, else its creation) in exact elapsed time: "every 1 days" is every 24 hours, and
 * its first fire is one interval after the anchor.
 */
export function nextFireAfter (when: ScheduleWhen, after: Date, anchor: Date): Date | null {
  switch (when.type) {
    case 'one_off': {
      const at = new Date(when.at)
      return at > after ? at : null
    }
    case 'interval': {
      const step = when.every * PERIOD_MS[when.period]
      const steps = Math.max(1, Math.floor((after.getTime() - anchor.getTime()) / step) + 1)
      return new Date(anchor.getTime() + steps * step)
    }
    case 'cron': {
      const times = CronExpressionParser.parse(when.expression, { currentDate: after, tz: when.timezone ?? 'UTC' })
      const next = times.next().toDate()
      // cron-parser may answer `after` itself when it matches to the millisecond: strictly after.
      return next > after ? next : times.next().toDate()
    }
  }
}

/** The fires within (after, until], at most `limit` of them, in order. */
export function firesBetween (when: ScheduleWhen, after: Date, until: Date, anchor: Date, limit: number): Date[] {
  const fires: Date[] = []
  let cursor = after
  while (fires.length < limit) {
    const next = nextFireAfter(when, cursor, anchor)
    if (next === null || next > until) break
    fires.push(next)
    cursor = next
  }
  return fires
}

/** An instant as RFC 3339 in a zone, with that zone's offset then (e.g. 2026-03-29T04:30:00+03:00). */
export function inZone (instant: Date, zone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset'
  }).formatToParts(instant).map((part) => [part.type, part.value]))
  // "GMT+03:00", or "GMT" at offset zero.
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName!.slice(3)
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`
}
