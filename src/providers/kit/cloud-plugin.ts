import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { ProviderDefinition, ProviderPluginOptions } from '../driver.ts'
import { readEndpoints, type EndpointSpec, type Endpoints } from './endpoints.ts'

/**
 * A cloud's fastify plugin, made one way for every cloud: its endpoints read from the
 * environment app.ts hands every provider plugin (a wrong URL stops the start), then its
 * definition registered under its backend type. `define` also gets that environment, for a
 * cloud's own settings (Docker's DOCKER_ALLOWED_HOSTS), read and checked at start.
 */
export function cloudPlugin<S extends Readonly<Record<string, EndpointSpec>>> (
  type: string,
  endpoints: S,
  define: (endpoints: Endpoints<S>, app: FastifyInstance, env: ProviderPluginOptions['env']) => Omit<ProviderDefinition, 'endpoints'>,
  dependencies: string[] = []
) {
  return fp<ProviderPluginOptions>(async function cloudProvider (app, options) {
    app.providers.define(type, { ...define(readEndpoints(endpoints, options.env), app, options.env), endpoints })
  }, { name: `provider-${type}`, dependencies: ['providers', ...dependencies] })
}
