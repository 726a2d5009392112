import fp from 'fastify-plugin'
import { MachineService } from '../services/machine-service.ts'
import { SizeCatalog } from '../services/size-catalog.ts'
import { StateWatcher } from '../services/state-watcher.ts'

declare module 'fastify' {
  interface FastifyInstance {
    machines: MachineService
    sizes: SizeCatalog
    watcher: StateWatcher
  }
}

/**
 * The machine services. Once the server is ready, machines a crash or restart left in a
 * transitional state are reconciled with their providers; on close, polling stops first.
 */
export default fp<{ pollIntervalMs: number, sizeCacheTtlMs: number }>(async function machines (app, options) {
  const watcher = new StateWatcher(app.db, app.providers, options.pollIntervalMs, app.log)
  const sizes = new SizeCatalog(app.db, app.providers, options.sizeCacheTtlMs)
  app.decorate('watcher', watcher)
  app.decorate('sizes', sizes)
  app.decorate('machines', new MachineService(app.db, app.providers, sizes, watcher, app.secrets))
  app.addHook('onReady', async () => {
    const recovering = await watcher.recoverAll()
    if (recovering > 0) app.log.info({ machines: recovering }, 'reconciling machines left in transitional states')
  })
  app.addHook('preClose', async () => watcher.close())
}, { name: 'machines', dependencies: ['database', 'providers', 'secrets'] })
