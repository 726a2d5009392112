import { existsSync } from 'node:fs'
import { buildApp } from './app.ts'
import { loadConfig } from './config.ts'

// A .env file (see .env.example) is optional; variables already set win over it.
if (existsSync('.env')) process.loadEnvFile('.env')
const config = loadConfig()
const app = await buildApp(config)

// SIGTERM: /ready answers 503 at once, requests are still served for SHUTDOWN_DRAIN_MS while the
// load balancer notices, then the server stops taking requests and jobs, finishes those in
// flight (running watches hand over to fresh jobs) and exits.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down')
    app.lifecycle.drain()
    const drained = new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs))
    drained.then(() => app.close()).then(() => process.exit(0), (error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed')
      process.exit(1)
    })
  })
}

await app.listen({ host: config.host, port: config.port })
if (config.databaseUrl === undefined) app.log.info({ dataDir: config.dataDir }, 'running on the embedded database (set DATABASE_URL for PostgreSQL)')
