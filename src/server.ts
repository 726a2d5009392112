import { existsSync } from 'node:fs'
import { buildApp } from './app.ts'
import { loadConfig } from './config.ts'

// A .env file (see .env.example) is optional; variables already set win over it.
if (existsSync('.env')) process.loadEnvFile('.env')
const config = loadConfig()
const app = await buildApp(config)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down')
    app.close().then(() => process.exit(0), (error: unknown) => {
      app.log.error({ err: error }, 'shutdown failed')
      process.exit(1)
    })
  })
}

await app.listen({ host: config.host, port: config.port })
if (config.databaseUrl === undefined) app.log.info({ dataDir: config.dataDir }, 'running on the embedded database (set DATABASE_URL for PostgreSQL)')
