import fp from 'fastify-plugin'
import { ProviderRegistry } from '../providers/provider-registry.ts'
import type { CallPolicy } from '../providers/driver.ts'

declare module 'fastify' {
  interface FastifyInstance { providers: ProviderRegistry }
}

/** The registry each provider plugin defines itself in; drivers are closed on shutdown. */
export default fp<{ policy: CallPolicy, listingBudgetPercent: number, driverCacheSize: number }>(async function providers (app, options) {
  const registry = new ProviderRegistry(app.secrets, {
    policy: options.policy,
    listingBudgetPercent: options.listingBudgetPercent,
    driverCacheSize: options.driverCacheSize,
    log: app.log.child({ component: 'providers' }),
    // The backend shows that its credentials are failing until a call succeeds with them again.
    // Raw SQL: the mark is not a change of the backend, so updated_at (the driver's version) stays.
    onCredentials: async (backendId, rejected) => {
      if (rejected === null) {
        await app.db.$executeRaw`UPDATE backends SET credentials_rejected_at = NULL, credentials_error = NULL WHERE id = ${backendId} AND credentials_rejected_at IS NOT NULL`
      } else {
        await app.db.$executeRaw`UPDATE backends SET credentials_rejected_at = now(), credentials_error = ${rejected.slice(0, 500)} WHERE id = ${backendId}`
      }
    }
  })
  app.decorate('providers', registry)
  app.addHook('onClose', async () => registry.close())
}, { name: 'providers', dependencies: ['secrets', 'database'] })
