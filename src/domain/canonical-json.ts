/**
 * JSON with object keys sorted, for comparing and hashing: PostgreSQL's jsonb keeps keys in its
 * own order, and clients send them in theirs, so two equal values can serialize differently.
 */
export function canonicalJson (value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => inner !== null && typeof inner === 'object' && !Array.isArray(inner)
    ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
    : inner)
}
