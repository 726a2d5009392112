/**
 * Whether an error means "the database cannot be reached now" (try again later) rather than a
 * fault of the server or the request. Answered 503 database-unavailable with Retry-After, never
 * 500, and background work waits for the database instead of logging each failure.
 *
 * The shapes, as each layer raises them (checked against a real PostgreSQL behind a proxy that
 * refuses, drops and silences connections: tests/db/unavailable.test.ts):
 * - node-postgres: Node's socket codes, its own "Connection terminated …", "timeout exceeded when
 *   trying to connect" and "Query read timeout" (DATABASE_*_TIMEOUT_MS), and server errors by
 *   SQLSTATE;
 * - Prisma through its driver adapter: P1001 and kin, or P2010 with the adapter's error beneath;
 * - the embedded PGlite: a database that has been closed.
 */
export function isDatabaseUnavailable (error: unknown): boolean {
  for (let depth = 0, current = error; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    // A cloud's failure carries its own socket errors beneath: the cloud is away, not the database.
    if ((current as Failure).name === 'ProviderError') return false
    if (matches(current as Failure)) return true
    const failure = current as Failure
    current = failure.meta?.driverAdapterError ?? failure.cause
  }
  return false
}

interface Failure {
  name?: string
  code?: unknown
  kind?: unknown
  message?: unknown
  originalCode?: unknown
  meta?: { driverAdapterError?: unknown }
  cause?: unknown
}

/** Node's codes for a connection refused, dropped or never established. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'])

/**
 * PostgreSQL's SQLSTATEs for "not now": connection exceptions (class 08), admin or crash
 * shutdown and starting up (57P01-57P03), too many connections (53300), read-only standby after
 * a failover (25006 is a bug of ours on a primary, so it is not listed).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300'])

/** Prisma's codes for an unreachable server, a dropped connection, a pool or connect timeout. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1011', 'P1017', 'P2024'])

/** The driver adapter's error kinds for the same. */
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'DatabaseDoesNotExist'])

const PG_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Query read timeout$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  /^PGlite is closed$/
]

function matches (failure: Failure): boolean {
  const code = typeof failure.code === 'string' ? failure.code : typeof failure.originalCode === 'string' ? failure.originalCode : undefined
  if (code !== undefined) {
    if (SOCKET_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08')) return true
    if (PRISMA_CODES.has(code)) return true
    // Waiting for a connection to start an interactive transaction (maxWait) is the pool's timeout.
    if (code === 'P2028' && /Unable to start a transaction/i.test(String(failure.message))) return true
  }
  if (typeof failure.kind === 'string' && ADAPTER_KINDS.has(failure.kind)) return true
  if (failure.kind === 'postgres' && typeof failure.originalCode === 'string') return UNAVAILABLE_SQLSTATES.has(failure.originalCode) || failure.originalCode.startsWith('08')
  return typeof failure.message === 'string' && PG_MESSAGES.some((pattern) => pattern.test(failure.message as string))
}
