import Fastify, { LogController, type FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.ts'
import contentNegotiation from './plugins/content-negotiation.ts'
import problemDetails, { answerClientError, MAX_SEGMENT, sendFrameworkProblem } from './plugins/problem-details.ts'
import validation from './plugins/validation.ts'
import accessLog from './plugins/access-log.ts'
import openapi from './plugins/swagger.ts'
import { jsonSerializers } from './representations/json-serializers.ts'
import securityHeaders from './plugins/security-headers.ts'
import database from './plugins/database.ts'
import secrets, { secretKeyCheck } from './plugins/secrets.ts'
import redis from './plugins/redis.ts'
import auth from './plugins/auth.ts'
import rateLimiting from './plugins/rate-limit.ts'
import audit from './plugins/audit.ts'
import retention from './plugins/retention.ts'
import providers from './plugins/providers.ts'
import jobs from './plugins/jobs.ts'
import lifecycle from './plugins/lifecycle.ts'
import machines from './plugins/machines.ts'
import schedulePlugin from './plugins/schedules.ts'
import costRollup from './plugins/cost-rollup.ts'
import sandboxProvider from './providers/sandbox/index.ts'
import digitaloceanProvider from './providers/digitalocean/index.ts'
import azureProvider from './providers/azure/index.ts'
import ec2Provider from './providers/ec2/index.ts'
import gceProvider from './providers/gce/index.ts'
import dockerProvider from './providers/docker/index.ts'
import type { ProviderPluginOptions } from './providers/driver.ts'
import health from './routes/health.ts'
import accounts from './routes/accounts.ts'
import auditLog from './routes/audit.ts'
import problemTypes from './routes/problem-types.ts'
import backends from './routes/backends.ts'
import providerList from './routes/providers.ts'
import backendCatalog from './routes/backend-catalog.ts'
import keys from './routes/keys.ts'
import backendMachines from './routes/backend-machines.ts'
import machineApi from './routes/machine-api.ts'
import machineHistoryRoutes from './routes/machine-history.ts'
import costs from './routes/costs.ts'
import scheduleRoutes from './routes/schedules.ts'

/** Field names whose values are never logged, at the top of a log record or one level down. */
const SECRET_FIELDS = ['api_key', 'credentials', 'password', 'adminPassword', 'admin_password', 'token', 'private_key', 'privateKey', 'secretKey']

export interface BuildOptions {
  /** Where logs go (default stdout); tests read them to prove no secret is logged. */
  logStream?: { write(line: string): void }
  /** More provider plugins, registered beside the built-in ones (before the routes read them). */
  providers?: Array<FastifyPluginAsync<ProviderPluginOptions>>
}

/** Builds the whole server, in the order things depend on each other. Nothing listens yet. */
export async function buildApp (config: Config, options: BuildOptions = {}) {
  const app = createApp(config, options)
  try {
    await registerPlugins(app, config, options)
    return app
  } catch (error) {
    // Whatever was opened before the failure (database pool, watcher) is closed again.
    await app.close().catch(() => {})
    throw error
  }
}

/** Every route but machine create takes at most this (its longest field is an SSH key). */
export const SMALL_BODY_LIMIT_BYTES = 32_768

function createApp (config: Config, options: BuildOptions) {
  // Node checks its request deadline on this interval (30 s by default, which would let a
  // trickling request live for twice its deadline).
  const checkEveryMs = config.requestTimeoutMs > 0 ? Math.max(100, Math.min(1000, Math.floor(config.requestTimeoutMs / 10))) : 30_000
  const headersTimeout = config.requestTimeoutMs > 0 ? Math.min(config.headersTimeoutMs, config.requestTimeoutMs) : config.headersTimeoutMs
  return Fastify({
    // Each distinct response schema's serializer is compiled once, not once per route and status.
    schemaController: { compilersFactory: { buildSerializer: jsonSerializers() } },
    logger: {
      level: config.logLevel,
      // Defence in depth: nothing logs these today, and nothing ever should.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization',
          ...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)],
        censor: '[redacted]'
      },
      ...(options.logStream === undefined ? {} : { stream: options.logStream })
    },
    // Opening the embedded PGlite and migrating it takes seconds, and on a busy 2-core machine
    // (CI, beside several servers starting) over a minute.
    pluginTimeout: 120_000,
    // One access log line per request (plugins/access-log.ts), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: Math.min(SMALL_BODY_LIMIT_BYTES, config.bodyLimitBytes),
    // Ids are at most 64 characters, a provider's machine id 255: a longer path segment is refused.
    routerOptions: { maxParamLength: MAX_SEGMENT },
    // Time limits on connections (docs/security.md, "Time limits"): a request must arrive whole within
    // requestTimeout (then 408, answered by answerClientError), a silent socket is closed.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.idleTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: { requestTimeout: config.requestTimeoutMs, headersTimeout, keepAliveTimeout: config.keepAliveTimeoutMs, connectionsCheckingInterval: checkEveryMs },
    // While closing, requests still on open connections are answered as usual (Fastify's own
    // raw 503 would bypass the problem path); /ready has said 503 since SIGTERM.
    return503OnClosing: false,
    // Answers Fastify and Node make before any route is found are problem documents too.
    frameworkErrors: sendFrameworkProblem,
    clientErrorHandler: answerClientError
  }).withTypeProvider<TypeBoxTypeProvider>()
}

async function registerPlugins (app: ReturnType<typeof createApp>, config: Config, options: BuildOptions): Promise<void> {
  // 1. The HTTP edge: representations in and out, errors as problem details, the API document.
  await app.register(contentNegotiation, { xmlMaxDepth: config.xmlMaxDepth })
  await app.register(problemDetails)
  await app.register(validation)
  await app.register(accessLog)
  await app.register(securityHeaders)
  await app.register(openapi)

  // 2. Infrastructure: sealing key (checked before anything is touched), database (migrated),
  //    provider registry and providers.
  await app.register(secrets, { secretKey: config.secretKey, databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  await app.register(database, {
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    timeouts: { connectMs: config.databaseConnectTimeoutMs, queryMs: config.databaseQueryTimeoutMs }
  })
  await app.register(secretKeyCheck)
  await app.register(providers, {
    policy: {
      timeoutMs: config.providerTimeoutMs,
      retries: config.providerRetries,
      baseDelayMs: config.providerRetryBaseDelayMs,
      maxDelayMs: config.providerRetryMaxDelayMs
    },
    listingBudgetPercent: config.listingBudgetPercent,
    driverCacheSize: config.driverCacheSize
  })
  // The clouds: one line each (docs/adding-a-cloud.md). Each reads its own settings from the environment.
  for (const provider of [sandboxProvider, digitaloceanProvider, azureProvider, ec2Provider, gceProvider, dockerProvider, ...options.providers ?? []]) {
    await app.register(provider, { env: config.cloudEnv })
  }

  // 3. Who is asking: bearer tokens (first admin on a fresh server), then per-token rate limits
  //    (counted in Redis when REDIS_URL is set, so that servers count together),
  //    then the audit log of every mutating request, and the retention of what is kept for a time.
  await app.register(redis, { url: config.redisUrl })
  await app.register(auth, {
    adminToken: config.adminToken, cacheMs: config.authCacheMs, failuresMax: config.authFailuresMax, failuresWindowMs: config.rateLimitWindowMs
  })
  await app.register(rateLimiting, { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs })
  await app.register(audit)
  await app.register(retention, { auditRetentionDays: config.auditRetentionDays, scheduleRunRetentionDays: config.scheduleRunRetentionDays, everyMs: config.auditPruneIntervalMs })

  // 4. Domain services: the job engine, machine lifecycle, watching and syncing (as jobs), size prices, schedules.
  const worker = config.role !== 'api'
  await app.register(lifecycle)
  await app.register(jobs, { supervise: worker, pollIntervalMs: config.jobPollIntervalMs, maintenanceIntervalMs: config.jobMaintenanceIntervalMs })
  await app.register(machines, {
    worker,
    pollIntervalMs: config.pollIntervalMs,
    watchLeaseMs: config.watchLeaseMs,
    watchConcurrency: config.watchConcurrency,
    syncIntervalMs: config.syncIntervalMs,
    listFreshMs: config.listFreshMs,
    createRecoveryMs: config.createRecoveryMs,
    sizeCacheTtlMs: config.sizeCacheTtlMs
  })
  // Scheduled actions fire as jobs; a worker sweeps every 30 s for a fire a dying server never sent.
  await app.register(schedulePlugin, { worker, sweepEveryMs: 30_000 })
  // Closed months' costs, priced once (docs/costs.md, "Closed months"); reports catch up on their own too.
  await app.register(costRollup, { worker, everyMs: 3_600_000 })

  // 5. Routes: a worker answers only /health and /ready, for its orchestrator.
  await app.register(health, { worker })
  if (config.role === 'worker') return
  await app.register(problemTypes)
  await app.register(accounts)
  await app.register(auditLog)
  await app.register(providerList)
  await app.register(backends)
  await app.register(backendCatalog)
  await app.register(keys)
  await app.register(backendMachines, { bodyLimit: config.bodyLimitBytes })
  await app.register(machineApi, { publicBaseUrl: config.publicBaseUrl })
  await app.register(machineHistoryRoutes)
  await app.register(costs)
  await app.register(scheduleRoutes)
}

export type App = ReturnType<typeof createApp>
