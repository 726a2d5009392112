import fp from 'fastify-plugin'
import { MachineService } from '../services/machine-service.ts'
import { SizeCatalog } from '../services/size-catalog.ts'
import { BackendWatcher } from '../services/backend-watcher.ts'

declare module 'fastify' {
  interface FastifyInstance {
    machines: MachineService
    sizes: SizeCatalog
    watcher: BackendWatcher
  }
}

// How long a cloud may keep reporting the old state after accepting an action (EC2 does), where
// its provider's definition does not say (ProviderDefinition.staleGraceMs).
const STALE_GRACE_MS = 10_000

export interface MachinesOptions {
  /** Whether this server takes up watch and sync jobs (STRATUS_ROLE all or worker). */
  worker: boolean
  pollIntervalMs: number
  watchLeaseMs: number
  watchConcurrency: number
  syncIntervalMs: number
  listFreshMs: number
  createRecoveryMs: number
  sizeCacheTtlMs: number
}

/**
 * The machine services. Keeping records in line with the clouds runs as jobs: once the server is
 * ready, a worker takes them up (and watches what a crash or restart left unsettled); on close,
 * running watches hand over to fresh jobs before the job engine stops.
 */
export default fp<MachinesOptions>(async function machines (app, options) {
  const watcher = new BackendWatcher(app.db, app.providers, app.jobs, {
    intervalMs: options.pollIntervalMs,
    leaseMs: options.watchLeaseMs,
    syncIntervalMs: options.syncIntervalMs,
    staleGraceMs: STALE_GRACE_MS,
    intentGraceMs: options.createRecoveryMs,
    log: app.log
  })
  await app.jobs.start(watcher.queues())
  const sizes = new SizeCatalog(app.db, app.providers, options.sizeCacheTtlMs)
  app.decorate('watcher', watcher)
  app.decorate('sizes', sizes)
  app.decorate('machines', new MachineService(app.db, app.sql, app.providers, sizes, watcher, app.secrets, options.listFreshMs))
  if (options.worker) {
    app.addHook('onReady', async () => {
      await watcher.startWorking(options.watchConcurrency)
      app.lifecycle.startedWorking()
    })
  }
  app.addHook('preClose', async () => {
    watcher.stop()
    await app.jobs.stop(10_000)
  })
}, { name: 'machines', dependencies: ['database', 'providers', 'secrets', 'jobs', 'lifecycle'] })
