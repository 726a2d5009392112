import { resolve } from 'node:path'

/** Server configuration, read once from the environment. Every variable is in .env.example. */
export interface Config {
  host: string
  port: number
  logLevel: string
  /** PostgreSQL URL; absent means the embedded PGlite database under dataDir. */
  databaseUrl: string | undefined
  dataDir: string
  /** Reaching the database (a new connection, or a free one of the pool) may take this long; then 503. */
  databaseConnectTimeoutMs: number
  /** One query may take this long; then 503 (a database that silently drops packets). */
  databaseQueryTimeoutMs: number
  /** Base64 of 32 bytes; absent with the embedded database means "create one in dataDir". */
  secretKey: string | undefined
  /** How often machines in transitional states are polled at their provider. */
  pollIntervalMs: number
  /** How long fetched sizes and prices are reused before asking the provider again. */
  sizeCacheTtlMs: number
  /** The largest body any route takes (machine create: cloud user data and the other fields); others take less. */
  bodyLimitBytes: number
  xmlMaxDepth: number
  /** The whole request (headers and body) must arrive within this; then 408 and the socket is closed. */
  requestTimeoutMs: number
  /** The request headers must arrive within this (Node's headersTimeout; at most requestTimeoutMs). */
  headersTimeoutMs: number
  /** A socket with no traffic for this long is closed. */
  idleTimeoutMs: number
  /** How long an idle keep-alive connection is kept between requests (Node's keepAliveTimeout). */
  keepAliveTimeoutMs: number
  /** Redis for rate-limit counters shared by all servers; absent means each server counts alone. */
  redisUrl: string | undefined
  /** all: answers HTTP and runs jobs; api: HTTP only; worker: jobs only (and /health, /ready). */
  role: Role
  /** How long one watch job lists a backend before handing over to a fresh job. */
  watchLeaseMs: number
  /** How many backends one worker watches at once. */
  watchConcurrency: number
  /** How often every backend is synced with its provider, across all servers (0: never). */
  syncIntervalMs: number
  /** A list request answers from the records when the backend was listed whole more recently than this. */
  listFreshMs: number
  /** How often a worker looks for new jobs when nothing woke it. */
  jobPollIntervalMs: number
  /** How often a worker expires jobs of servers that died and retries them. */
  jobMaintenanceIntervalMs: number
  /** A create not recorded within this long was cut off by a crash: adopt the cloud's machine or fail it. */
  createRecoveryMs: number
  /** After SIGTERM: /ready answers 503 this long before the server stops taking requests. */
  shutdownDrainMs: number
  /** Audit entries older than this many days are deleted in the background (0 keeps them). */
  auditRetentionDays: number
  /** How often the audit log is pruned (the first pass comes at most 10 s after start). */
  auditPruneIntervalMs: number
  /** Schedule runs finished more than this many days ago are deleted with the audit log's pass (0 keeps them). */
  scheduleRunRetentionDays: number
  /** Absolute base for links (machine API `url`s); absent means taken from each request. */
  publicBaseUrl: string | undefined
  /** The first admin's token on a server with no users; absent means generate and print one. */
  adminToken: string | undefined
  /** How long a verified token is trusted before it is looked up again. */
  authCacheMs: number
  /** Requests per token (or per address, without one) in each rate-limit window. */
  rateLimitMax: number
  rateLimitWindowMs: number
  /** Failed authentications allowed per client address in each rate-limit window. */
  authFailuresMax: number
  /** Every cloud call: one attempt's limit, retries of 429/5xx, their backoff and longest wait. */
  providerTimeoutMs: number
  providerRetries: number
  providerRetryBaseDelayMs: number
  providerRetryMaxDelayMs: number
  /** The share (percent) of a cloud's published request budget that listing its backends may use (0: not paced). */
  listingBudgetPercent: number
  /** How many backends' drivers each server keeps ready; the least recently used beyond it is closed. */
  driverCacheSize: number
  /**
   * The environment the provider plugins read their own settings from (each cloud's endpoints:
   * DIGITALOCEAN_API_URL, AZURE_RESOURCE_MANAGER_URL, ...; see the cloud's endpoints.ts).
   */
  cloudEnv: Readonly<Record<string, string | undefined>>
}

export const ROLES = ['all', 'api', 'worker'] as const
export type Role = (typeof ROLES)[number]

const role = (raw: string | undefined): Role => {
  if (raw === undefined || raw === '') return 'all'
  if (!(ROLES as readonly string[]).includes(raw)) throw new Error(`STRATUS_ROLE must be one of ${ROLES.join(', ')}, got "${raw}"`)
  return raw as Role
}

const integer = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`)
  return value
}

export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  return {
    host: env.HOST ?? '127.0.0.1',
    port: integer(env, 'PORT', 3000),
    logLevel: env.LOG_LEVEL ?? 'info',
    databaseUrl: env.DATABASE_URL === '' ? undefined : env.DATABASE_URL,
    dataDir: resolve(env.STRATUS_DATA_DIR ?? '.data'),
    databaseConnectTimeoutMs: Math.max(1, integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 5000)),
    databaseQueryTimeoutMs: Math.max(1, integer(env, 'DATABASE_QUERY_TIMEOUT_MS', 30_000)),
    secretKey: env.STRATUS_SECRET_KEY === '' ? undefined : env.STRATUS_SECRET_KEY,
    pollIntervalMs: integer(env, 'POLL_INTERVAL_MS', 1000),
    sizeCacheTtlMs: integer(env, 'SIZE_CACHE_TTL_MS', 3_600_000),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 131_072),
    xmlMaxDepth: integer(env, 'XML_MAX_DEPTH', 32),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 10_000),
    idleTimeoutMs: integer(env, 'IDLE_TIMEOUT_MS', 60_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000),
    redisUrl: env.REDIS_URL === '' ? undefined : env.REDIS_URL,
    role: role(env.STRATUS_ROLE),
    watchLeaseMs: integer(env, 'WATCH_LEASE_MS', 10_000),
    watchConcurrency: Math.max(1, integer(env, 'WATCH_CONCURRENCY', 16)),
    syncIntervalMs: integer(env, 'SYNC_INTERVAL_MS', 60_000),
    listFreshMs: integer(env, 'LIST_FRESH_MS', 5000),
    jobPollIntervalMs: Math.max(500, integer(env, 'JOB_POLL_INTERVAL_MS', 1000)),
    jobMaintenanceIntervalMs: Math.max(1000, integer(env, 'JOB_MAINTENANCE_INTERVAL_MS', 5000)),
    createRecoveryMs: integer(env, 'CREATE_RECOVERY_MS', 120_000),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', 5000),
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 90),
    auditPruneIntervalMs: integer(env, 'AUDIT_PRUNE_INTERVAL_MS', 3_600_000),
    scheduleRunRetentionDays: integer(env, 'SCHEDULE_RUN_RETENTION_DAYS', 90),
    publicBaseUrl: env.PUBLIC_BASE_URL === '' ? undefined : env.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    adminToken: env.STRATUS_ADMIN_TOKEN === '' ? undefined : env.STRATUS_ADMIN_TOKEN,
    authCacheMs: integer(env, 'AUTH_CACHE_MS', 5000),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 600),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000),
    authFailuresMax: integer(env, 'AUTH_FAILURES_MAX', 30),
    providerTimeoutMs: Math.max(1, integer(env, 'PROVIDER_TIMEOUT_MS', 30_000)),
    providerRetries: integer(env, 'PROVIDER_RETRIES', 3),
    providerRetryBaseDelayMs: integer(env, 'PROVIDER_RETRY_BASE_DELAY_MS', 500),
    providerRetryMaxDelayMs: integer(env, 'PROVIDER_RETRY_MAX_DELAY_MS', 10_000),
    listingBudgetPercent: Math.min(100, integer(env, 'LISTING_BUDGET_PERCENT', 50)),
    driverCacheSize: Math.max(1, integer(env, 'DRIVER_CACHE_SIZE', 1000)),
    cloudEnv: env
  }
}
