/**
 * A time the cloud gives (an RFC 3339 string, a Date from an SDK, EC2's "2026-12-06 10:00:00 GMT"),
 * or null when it gives none or one that does not parse: a cloud's odd timestamp is never a crash.
 */
export function cloudTime (value: string | Date | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null
  const time = value instanceof Date ? value : new Date(typeof value === 'string' ? value.replace(/^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) GMT$/, '$1T$2Z') : value)
  return Number.isNaN(time.getTime()) ? null : time
}
