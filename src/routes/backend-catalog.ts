import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { priceNumber } from '../domain/pricing.ts'
import { actor } from '../plugins/auth.ts'
import { BackendParams, ImageList, LocationList, SizeList } from '../schemas/backend.ts'
import { PROVIDER_PROBLEMS, problemResponses } from '../schemas/problem.ts'
import { findBackend } from '../services/lookup.ts'

/** What a backend's provider offers: sizes (with hourly prices), images, locations. */
const backendCatalog: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/backends/:backend_id/sizes', {
    schema: {
      tags: ['backends'],
      summary: 'List sizes with hourly prices',
      description: 'Prices are fetched from the provider and reused for SIZE_CACHE_TTL_MS.',
      params: BackendParams,
      response: { 200: SizeList, ...problemResponses(404, 406, ...PROVIDER_PROBLEMS) }
    }
  }, async (request) => {
    const sizes = await app.sizes.list(await findBackend(app.db, actor(request), request.params.backend_id))
    return sizes.map((size) => ({
      id: size.sizeId,
      name: size.name,
      cpus: size.cpus,
      ram: size.ramMb,
      disk: size.diskGb,
      price: priceNumber(size.hourlyPrice)!,
      currency: size.currency,
      fetched_at: size.fetchedAt.toISOString()
    }))
  })

  app.get('/backends/:backend_id/images', {
    schema: { tags: ['backends'], summary: 'List images', params: BackendParams, response: { 200: ImageList, ...problemResponses(404, 406, ...PROVIDER_PROBLEMS) } }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    return app.providers.driverFor(backend).listImages()
  })

  app.get('/backends/:backend_id/locations', {
    schema: { tags: ['backends'], summary: 'List locations', params: BackendParams, response: { 200: LocationList, ...problemResponses(404, 406, ...PROVIDER_PROBLEMS) } }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    return app.providers.driverFor(backend).listLocations()
  })
}

export default backendCatalog
