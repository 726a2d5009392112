import fp from 'fastify-plugin'
import type { PrismaClient } from '../generated/prisma/client.ts'
import type { Sql } from '../db/sql.ts'
import { openDatabase, type Database } from '../db/database.ts'
import { migrate } from '../db/migrate.ts'
import type { JobStore } from '../services/job-engine.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: PrismaClient
    /** Prepared SQL for hot reads (src/services/machine-reads.ts); Prisma for everything else. */
    sql: Sql
    /** Where the job engine keeps jobs (src/plugins/jobs.ts). */
    jobStore: JobStore
    /** NOTIFYs from every server on this database (token revocations, src/plugins/auth.ts). */
    notifications: { listen: Database['listen'] }
  }
}

/** Opens PostgreSQL (or the embedded PGlite), applies pending migrations, closes on shutdown. */
export default fp<{ databaseUrl: string | undefined, dataDir: string }>(async function database (app, options) {
  const database = await openDatabase(options, (error) => app.log.warn({ err: error }, 'idle database connection lost'))
  try {
    const applied = await migrate(database.runner)
    if (applied.length > 0) app.log.info({ applied }, 'applied database migrations')
  } catch (error) {
    await database.close()
    throw error
  }
  app.decorate('db', database.prisma)
  app.decorate('sql', database.sql)
  app.decorate<JobStore>('jobStore', database.jobStore)
  app.decorate('notifications', { listen: database.listen })
  app.addHook('onClose', async () => database.close())
  app.log.info({ database: database.kind }, 'database ready')
}, { name: 'database' })
