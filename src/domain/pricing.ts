/**
 * Prices are kept as exact decimals (strings from PostgreSQL NUMERIC) and only turned into
 * JSON numbers at the edge; six decimal places cover every provider's per-hour list price.
 */
export interface Price { amount: string, currency: string }

const DECIMAL = /^\d{1,6}(\.\d{1,6})?$/

/** A provider's price, or null (unknown) when the provider publishes none. */
export function parsePrice (amount: string | number | null, currency: string): Price | null {
  if (amount === null) return null
  const text = typeof amount === 'number' ? amount.toFixed(6) : amount
  if (!DECIMAL.test(text)) throw new Error(`not an hourly price: ${text}`)
  if (!/^[A-Z]{3}$/.test(currency)) throw new Error(`not an ISO 4217 currency: ${currency}`)
  return { amount: text, currency }
}

/** A stored decimal as the JSON number clients read (Number keeps 6 decimals exactly enough). */
export const priceNumber = (amount: { toString(): string } | null): number | null =>
  amount === null ? null : Number(amount.toString())

/** A decimal string ("0.021811") as an integer count of units of 10^-places (further places cut off). */
export function decimalUnits (decimal: string, places: number): bigint {
  const [whole = '0', fraction = ''] = decimal.split('.')
  return BigInt(whole) * 10n ** BigInt(places) + BigInt(fraction.padEnd(places, '0').slice(0, places) || '0')
}

/** An integer count of units of 10^-places as a decimal string with exactly that many places. */
export function unitsDecimal (units: bigint, places: number): string {
  const scale = 10n ** BigInt(places)
  const abs = units < 0n ? -units : units
  return `${units < 0n ? '-' : ''}${abs / scale}.${String(abs % scale).padStart(places, '0')}`
}
