import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MACHINE_ACTIONS } from '../domain/lifecycle.ts'
import { priceNumber } from '../domain/pricing.ts'
import { actor } from '../plugins/auth.ts'
import { BackendParams, ImageList, LocationList, SizeList } from '../schemas/backend.ts'
import { PROVIDER_PROBLEMS, problemResponses } from '../schemas/problem.ts'
import { findBackend } from '../services/lookup.ts'

/** What a backend's provider offers: sizes (with hourly prices), images, locations. */
const backendCatalog: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/backends/:backend_id/sizes', {
    schema: {
      operationId: 'listSizes',
      tags: ['backends'],
      summary: 'List sizes with hourly prices',
      description: 'Prices are fetched from the provider and reused for SIZE_CACHE_TTL_MS. unsupported_actions names what machines of a size can never do.',
      params: BackendParams,
      response: { 200: SizeList, ...problemResponses(400, 404, ...PROVIDER_PROBLEMS) }
    }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const sizes = await app.sizes.list(backend)
    // Cached prices are served even where the provider is not loaded; then nothing is known of its actions.
    const definition = app.providers.definition(backend.provider)
    const driver = definition === undefined ? null : app.providers.driverFor(backend)
    return sizes.map((size) => ({
      id: size.sizeId,
      name: size.name,
      cpus: size.cpus,
      ram: size.ramMb,
      disk: size.diskGb,
      price: priceNumber(size.hourlyPrice),
      currency: size.currency,
      fetched_at: size.fetchedAt.toISOString(),
      price_source: definition?.priceSource ?? null,
      unsupported_actions: driver === null ? [] : MACHINE_ACTIONS.filter((action) => !driver.supports({ size: size.sizeId, image: null }, action))
    }))
  })

  app.get('/backends/:backend_id/images', {
    schema: { operationId: 'listImages', tags: ['backends'], summary: 'List images', params: BackendParams, response: { 200: ImageList, ...problemResponses(400, 404, ...PROVIDER_PROBLEMS) } }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    return app.providers.driverFor(backend).listImages()
  })

  app.get('/backends/:backend_id/locations', {
    schema: { operationId: 'listLocations', tags: ['backends'], summary: 'List locations', params: BackendParams, response: { 200: LocationList, ...problemResponses(400, 404, ...PROVIDER_PROBLEMS) } }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    return app.providers.driverFor(backend).listLocations()
  })
}

export default backendCatalog
