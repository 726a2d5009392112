import { isTimeZone } from './schedule-times.ts'

/** The zone's offset from UTC at an instant, in ms (Athens in summer: +3 h). */
function offsetAt (instant: number, zone: string): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit'
  }).formatToParts(instant).map((part) => [part.type, part.value]))
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second))
  return local - Math.floor(instant / 1000) * 1000
}

/** The instant a local midnight begins in a zone (the offset read at the guess, then again where it lands). */
function localMidnight (year: number, month: number, zone: string): Date {
  const guess = Date.UTC(year, month, 1)
  const first = guess - offsetAt(guess, zone)
  return new Date(guess - offsetAt(first, zone))
}

/** A calendar month ("2026-12") in an IANA zone as [from, to) instants; the current month by default. */
export function monthIn (month: string | undefined, zone: string, now: Date): { month: string, from: Date, to: Date } {
  if (!isTimeZone(zone)) throw new RangeError(`${zone} is not an IANA time zone`)
  let year: number
  let index: number
  if (month === undefined) {
    const local = new Date(now.getTime() + offsetAt(now.getTime(), zone))
    year = local.getUTCFullYear()
    index = local.getUTCMonth()
  } else {
    year = Number(month.slice(0, 4))
    index = Number(month.slice(5, 7)) - 1
  }
  return { month: `${year}-${String(index + 1).padStart(2, '0')}`, from: localMidnight(year, index, zone), to: localMidnight(year, index + 1, zone) }
}
