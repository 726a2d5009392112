import type { ServerResponse } from 'node:http'
import { CloudFake, sendJson, type FakeRequest } from './https-fake.ts'

/**
 * The Cloud Billing catalog's `services.skus.list` (cloud.google.com/billing/docs/reference/rest/v1/services.skus/list):
 * an API key in `key`, pages by `pageSize` and `pageToken`, SKUs with their category, regions and
 * tiered unit prices (`units` and `nanos`), and Google's error document.
 */
export class GceBillingFake extends CloudFake {
  readonly apiKey = 'AIzaSyFakeBillingKey0123456789abcdefgh'
  pageSize = 3
  readonly skus: unknown[] = [
    sku('E2 Instance Core running in Americas', 'OnDemand', ['us-central1', 'us-east1'], 'h', 0, 21_811_000),
    sku('E2 Instance Ram running in Americas', 'OnDemand', ['us-central1', 'us-east1'], 'GiBy.h', 0, 2_923_000),
    sku('E2 Instance Core running in Belgium', 'OnDemand', ['europe-west1'], 'h', 0, 23_993_000),
    sku('E2 Instance Ram running in Belgium', 'OnDemand', ['europe-west1'], 'GiBy.h', 0, 3_216_000),
    sku('N1 Predefined Instance Core running in Americas', 'OnDemand', ['us-central1'], 'h', 0, 31_611_000),
    sku('N1 Predefined Instance Ram running in Americas', 'OnDemand', ['us-central1'], 'GiBy.h', 0, 4_237_000),
    sku('N2D AMD Instance Core running in Americas', 'OnDemand', ['us-central1'], 'h', 0, 27_502_000),
    // Only the core rate of this family: it cannot price a machine type, and is left out.
    sku('C3 Instance Core running in Americas', 'OnDemand', ['us-central1'], 'h', 0, 33_980_000),
    // Not on-demand, not predefined: left out.
    sku('Spot Preemptible E2 Instance Core running in Americas', 'Preemptible', ['us-central1'], 'h', 0, 6_543_000),
    sku('Commitment v1: E2 Cpu in Americas for 1 Year', 'Commit1Yr', ['us-central1'], 'h', 0, 13_741_000),
    sku('Custom Instance Core running in Americas', 'OnDemand', ['us-central1'], 'h', 0, 33_174_000),
    sku('E2 Instance Core running in Belgium', 'OnDemand', ['europe-west1'], 'h', 1, 99_000_000, true)
  ]

  protected faultBody (status: number): unknown {
    return { error: { code: status, message: status === 429 ? 'Quota exceeded for quota metric \'Read requests\'' : 'Internal error', status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL' } }
  }

  protected override credentialOf (request: FakeRequest): string | null { return request.url.searchParams.get('key') }

  protected async handle (request: FakeRequest, response: ServerResponse, key: string | null): Promise<void> {
    if (key !== this.apiKey) return sendJson(response, 400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } })
    if (request.url.pathname !== '/v1/services/6F81-5844-456A/skus') return sendJson(response, 404, { error: { code: 404, message: 'Service not found', status: 'NOT_FOUND' } })
    const from = Number(request.url.searchParams.get('pageToken') ?? '0')
    const size = Math.min(Number(request.url.searchParams.get('pageSize') ?? '5000'), this.pageSize)
    const next = from + size < this.skus.length ? String(from + size) : ''
    sendJson(response, 200, { skus: this.skus.slice(from, from + size), nextPageToken: next })
  }
}

/** A SKU; `tiered`: its rate is a second tier (from 1 unit on), which the table does not take. */
function sku (description: string, usageType: string, serviceRegions: string[], usageUnit: string, startUsageAmount: number, nanos: number, tiered = false): unknown {
  return {
    name: `services/6F81-5844-456A/skus/${description.length.toString(16).toUpperCase()}-${nanos}`,
    skuId: `${nanos}`,
    description,
    category: { serviceDisplayName: 'Compute Engine', resourceFamily: 'Compute', resourceGroup: description.includes('Ram') ? 'RAM' : 'CPU', usageType },
    serviceRegions,
    pricingInfo: [{
      effectiveTime: '2026-12-01T00:00:00Z',
      pricingExpression: {
        usageUnit,
        tieredRates: tiered
          ? [{ startUsageAmount: 0, unitPrice: { currencyCode: 'USD', units: '0', nanos: 23_993_000 } }, { startUsageAmount, unitPrice: { currencyCode: 'USD', units: '0', nanos } }]
          : [{ startUsageAmount, unitPrice: { currencyCode: 'USD', units: '0', nanos } }]
      }
    }],
    serviceProviderName: 'Google'
  }
}
