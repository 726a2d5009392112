import Fastify from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.ts'
import contentNegotiation from './plugins/content-negotiation.ts'
import problemDetails from './plugins/problem-details.ts'
import openapi from './plugins/swagger.ts'
import securityHeaders from './plugins/security-headers.ts'
import database from './plugins/database.ts'
import secrets, { secretKeyCheck } from './plugins/secrets.ts'
import auth from './plugins/auth.ts'
import rateLimiting from './plugins/rate-limit.ts'
import audit from './plugins/audit.ts'
import providers from './plugins/providers.ts'
import machines from './plugins/machines.ts'
import sandboxProvider from './providers/sandbox/index.ts'
import health from './routes/health.ts'
import accounts from './routes/accounts.ts'
import auditLog from './routes/audit.ts'
import problemTypes from './routes/problem-types.ts'
import backends from './routes/backends.ts'
import backendCatalog from './routes/backend-catalog.ts'
import keys from './routes/keys.ts'
import backendMachines from './routes/backend-machines.ts'
import machineApi from './routes/machine-api.ts'

/** Field names whose values are never logged, at the top of a log record or one level down. */
const SECRET_FIELDS = ['api_key', 'credentials', 'password', 'adminPassword', 'admin_password', 'token', 'private_key', 'privateKey', 'secretKey']

export interface BuildOptions {
  /** Where logs go (default stdout); tests read them to prove no secret is logged. */
  logStream?: { write(line: string): void }
}

/** Builds the whole server, in the order things depend on each other. Nothing listens yet. */
export async function buildApp (config: Config, options: BuildOptions = {}) {
  const app = createApp(config, options)
  try {
    await registerPlugins(app, config)
    return app
  } catch (error) {
    // Whatever was opened before the failure (database pool, watcher) is closed again.
    await app.close().catch(() => {})
    throw error
  }
}

function createApp (config: Config, options: BuildOptions) {
  return Fastify({
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
    bodyLimit: config.bodyLimitBytes,
    // Bodies are validated strictly: unknown properties are refused, not silently dropped.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: true, keywords: ['xml'] } }
  }).withTypeProvider<TypeBoxTypeProvider>()
}

async function registerPlugins (app: ReturnType<typeof createApp>, config: Config): Promise<void> {
  // 1. The HTTP edge: representations in and out, errors as problem details, the API document.
  await app.register(contentNegotiation, { bodyLimit: config.bodyLimitBytes, xmlMaxDepth: config.xmlMaxDepth })
  await app.register(problemDetails)
  await app.register(securityHeaders)
  await app.register(openapi)

  // 2. Infrastructure: sealing key (checked before anything is touched), database (migrated),
  //    provider registry and providers.
  await app.register(secrets, { secretKey: config.secretKey, databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  await app.register(database, { databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  await app.register(secretKeyCheck)
  await app.register(providers)
  await app.register(sandboxProvider)

  // 3. Who is asking: bearer tokens (first admin on a fresh server), then per-token rate limits,
  //    then the audit log of every mutating request.
  await app.register(auth, {
    adminToken: config.adminToken, cacheMs: config.authCacheMs, failuresMax: config.authFailuresMax, failuresWindowMs: config.rateLimitWindowMs
  })
  await app.register(rateLimiting, { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs })
  await app.register(audit)

  // 4. Domain services: machine lifecycle, state watching, size prices.
  await app.register(machines, { pollIntervalMs: config.pollIntervalMs, sizeCacheTtlMs: config.sizeCacheTtlMs })

  // 5. Routes.
  await app.register(health)
  await app.register(problemTypes)
  await app.register(accounts)
  await app.register(auditLog)
  await app.register(backends)
  await app.register(backendCatalog)
  await app.register(keys)
  await app.register(backendMachines)
  await app.register(machineApi, { publicBaseUrl: config.publicBaseUrl })
}

export type App = ReturnType<typeof createApp>
