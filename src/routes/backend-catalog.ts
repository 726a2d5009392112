import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MACHINE_ACTIONS } from '../domain/lifecycle.ts'
import { priceNumber } from '../domain/pricing.ts'
import { actor } from '../plugins/auth.ts'
import { BackendParams, ImageList, LocationList, SizeList } from '../schemas/backend.ts'
import { PROVIDER_PROBLEMS, problemResponses } from '../schemas/problem.ts'
import { canEver } from '../providers/driver.ts'
import { findBackend } from '../services/lookup.ts'
import { keptPrices, OVERRIDE, pricesInForce } from '../services/machine-costs.ts'
import { SizePriceBody, SizePriceHistory, SizePriceParams } from '../schemas/machine-cost.ts'
import { notFound } from '../problems.ts'

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
      unsupported_actions: driver === null ? [] : MACHINE_ACTIONS.filter((action) => !canEver(driver, { size: size.sizeId, image: null }, action))
    }))
  })

  app.put('/backends/:backend_id/sizes/:size_id/price', {
    schema: {
      operationId: 'overrideSizePrice',
      tags: ['backends'],
      summary: 'Set a size\'s price from a date',
      description: 'The owner\'s own hourly price for a size (a negotiated rate, say), in force from `from` over the catalog\'s until another override; ' +
        'costs of intervals from then on use it (docs/costs.md). Answers the size\'s prices in force, oldest first.',
      params: SizePriceParams,
      body: SizePriceBody,
      response: { 200: SizePriceHistory, ...problemResponses(400, 404, 413, 415, 422) }
    }
  }, async (request) => {
    const backend = await findBackend(app.db, actor(request), request.params.backend_id)
    const size = await app.db.size.findUnique({ where: { backendId_sizeId: { backendId: backend.id, sizeId: request.params.size_id } } })
    if (size === null) throw notFound(`size ${request.params.size_id} of backend ${backend.id}`)
    const { price, currency, from } = request.body
    await app.db.sizePrice.create({ data: { backendId: backend.id, sizeId: size.sizeId, hourlyPrice: price, currency, source: OVERRIDE, effectiveFrom: new Date(from) } })
    const prices = pricesInForce(await keptPrices(app.db, backend.id, size.sizeId))
    return {
      size_id: size.sizeId,
      prices: prices.map((entry) => ({ price: entry.hourlyPrice, currency: entry.currency, source: entry.source, effective_from: entry.from.toISOString() }))
    }
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
