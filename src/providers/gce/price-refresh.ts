import { unitsDecimal } from '../../domain/pricing.ts'
import type { CallPolicy } from '../driver.ts'
import { callWithRetries } from '../kit/call-with-retries.ts'
import { httpFailure, networkFailure } from '../kit/http-failure.ts'
import type { PriceTable } from './prices.ts'

/** Compute Engine's service id in the Cloud Billing catalog (cloud.google.com/billing/v1/how-tos/catalog-api). */
export const COMPUTE_ENGINE_SERVICE = '6F81-5844-456A'

/** A SKU as services.skus.list answers it (the parts read here). */
interface Sku {
  description?: string
  category?: { resourceFamily?: string, usageType?: string }
  serviceRegions?: string[]
  pricingInfo?: Array<{ pricingExpression?: { usageUnit?: string, tieredRates?: Array<{ startUsageAmount?: number, unitPrice?: { currencyCode?: string, units?: string, nanos?: number } }> } }>
}

/**
 * "E2 Instance Core running in Americas", "N1 Predefined Instance Ram running in Belgium",
 * "N2D AMD Instance Core running in …": a predefined machine family's vCPU or memory SKU. Custom,
 * sole-tenant, spot and committed SKUs are other descriptions or usage types, left out.
 */
const FAMILY_SKU = /^([A-Z][A-Z0-9]{1,3})(?: AMD| Arm)? (?:Predefined )?Instance (Core|Ram) running in /

/**
 * The price table from the Cloud Billing catalog: every on-demand vCPU and memory rate of every
 * predefined family, per region, in USD. Each page is one call under the kit's policy (timeouts,
 * bounded retries, Retry-After), with an API key (the catalog takes one: no service account needed).
 */
export async function fetchPriceTable (options: { endpoint: string, apiKey: string, policy: CallPolicy, today: string }): Promise<PriceTable> {
  const regions: PriceTable['regions'] = {}
  let pageToken = ''
  let pages = 0
  do {
    const url = new URL(`${options.endpoint}/v1/services/${COMPUTE_ENGINE_SERVICE}/skus`)
    url.search = new URLSearchParams({ key: options.apiKey, currencyCode: 'USD', pageSize: '5000', ...(pageToken === '' ? {} : { pageToken }) }).toString()
    const page = await callWithRetries(options.policy, { idempotent: true }, classify, async (signal) => {
      const answer = await fetch(url, { signal })
      const text = await answer.text()
      if (!answer.ok) throw Object.assign(new Error('billing catalog refused'), { answer, text })
      return JSON.parse(text) as { skus?: Sku[], nextPageToken?: string }
    })
    for (const sku of page.skus ?? []) addRate(regions, sku)
    pageToken = page.nextPageToken ?? ''
    if (++pages > 1000) throw new Error('the billing catalog kept paging past 1,000 pages')
  } while (pageToken !== '')
  return completeRates({
    fetched_at: options.today,
    source: `Compute Engine on-demand vCPU and memory rates per region and machine family (Cloud Billing Catalog, service ${COMPUTE_ENGINE_SERVICE}; cloud.google.com/compute/vm-instance-pricing), USD`,
    currency: 'USD',
    regions: Object.fromEntries(Object.entries(regions).sort(([a], [b]) => a.localeCompare(b)))
  })
}

function addRate (regions: PriceTable['regions'], sku: Sku): void {
  if (sku.category?.usageType !== 'OnDemand' || sku.category.resourceFamily !== 'Compute') return
  const match = FAMILY_SKU.exec(sku.description ?? '')
  if (match === null) return
  const family = match[1]!.toLowerCase()
  const part = match[2] === 'Core' ? 'core' : 'ram'
  const rate = sku.pricingInfo?.[0]?.pricingExpression?.tieredRates?.find((tier) => (tier.startUsageAmount ?? 0) === 0)?.unitPrice
  if (rate === undefined || (rate.currencyCode ?? 'USD') !== 'USD') return
  const price = decimalOf(rate.units ?? '0', rate.nanos ?? 0)
  for (const region of sku.serviceRegions ?? []) {
    const families = regions[region] ??= {}
    const rates = families[family] ??= { core: '', ram: '' }
    rates[part] = price
  }
}

/** units + nanos as a decimal string without trailing zeros ("0.021811"). */
const decimalOf = (units: string, nanos: number): string => unitsDecimal(BigInt(units) * 1_000_000_000n + BigInt(nanos), 9).replace(/0+$/, '').replace(/\.$/, '')

function classify (error: unknown, signal: AbortSignal) {
  const failure = error as { answer?: Response, text?: string }
  if (failure.answer === undefined) return networkFailure('gce billing catalog', error, signal)
  let message: string | undefined
  try { message = (JSON.parse(failure.text ?? '') as { error?: { message?: string } }).error?.message } catch { message = undefined }
  return httpFailure('gce billing catalog', { status: failure.answer.status, header: (name) => failure.answer!.headers.get(name), message }, error)
}

/** Families with only one of their two rates in a region cannot price a machine type there: left out. */
const completeRates = (table: PriceTable): PriceTable => ({
  ...table,
  regions: Object.fromEntries(Object.entries(table.regions).map(([region, families]) =>
    [region, Object.fromEntries(Object.entries(families).filter(([, rates]) => rates.core !== '' && rates.ram !== ''))]))
})
