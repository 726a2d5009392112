import fp from 'fastify-plugin'
import { ProviderRegistry } from '../providers/provider-registry.ts'

declare module 'fastify' {
  interface FastifyInstance { providers: ProviderRegistry }
}

/** The registry each provider plugin defines itself in; drivers are closed on shutdown. */
export default fp(async function providers (app) {
  const registry = new ProviderRegistry(app.secrets)
  app.decorate('providers', registry)
  app.addHook('onClose', async () => registry.close())
}, { name: 'providers', dependencies: ['secrets'] })
