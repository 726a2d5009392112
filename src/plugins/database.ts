import fp from 'fastify-plugin'
import type { PrismaClient } from '../generated/prisma/client.ts'
import type { Sql } from '../db/sql.ts'
import { openDatabase, type Database, type DatabaseTimeouts } from '../db/database.ts'
import { DatabaseAvailability } from '../db/availability.ts'
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
    /**
     * Whether the database is reachable: where requests and background work report the failures
     * they meet (logged once per outage) and wait for its return (src/db/availability.ts).
     */
    dbAvailability: DatabaseAvailability
  }
}

/** Opens PostgreSQL (or the embedded PGlite), applies pending migrations, closes on shutdown. */
export default fp<{ databaseUrl: string | undefined, dataDir: string, timeouts: DatabaseTimeouts }>(async function database (app, options) {
  // Probes only once an outage has begun, by which time the database below is open.
  const availability = new DatabaseAvailability({ probe: async () => database.probe(), log: app.log })
  const database = await openDatabase(options, (error) => {
    if (!availability.noteFailure(error)) app.log.warn({ err: error }, 'idle database connection lost')
  })
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
  app.decorate('dbAvailability', availability)
  // A request that met an unreachable database is answered 503 (plugins/problem-details.ts);
  // the outage is logged here, once, not once per request.
  app.addHook('onError', async (_request, _reply, error) => { availability.noteFailure(error) })
  app.addHook('onClose', async () => {
    availability.close()
    await database.close()
  })
  app.log.info({ database: database.kind }, 'database ready')
}, { name: 'database' })
