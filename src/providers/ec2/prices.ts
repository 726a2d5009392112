import { GetProductsCommand, type PricingClient } from '@aws-sdk/client-pricing'
import type { CloudCalls } from '../kit/cloud-calls.ts'
import { ProviderError } from '../provider-error.ts'
import type { ProviderLog } from '../driver.ts'

/**
 * The price list's rows that are a plain hourly Linux instance: shared tenancy, no software
 * installed besides the OS, no licence included, capacity that is used (not the $0 rows of
 * unused capacity reservations). Windows, RHEL, dedicated hosts and reserved terms fall out.
 */
const FILTERS = (region: string) => [
  ['regionCode', region], ['operatingSystem', 'Linux'], ['tenancy', 'Shared'], ['preInstalledSw', 'NA'],
  ['capacitystatus', 'Used'], ['licenseModel', 'No License required']
].map(([Field, Value]) => ({ Type: 'TERM_MATCH' as const, Field, Value }))

interface PriceListProduct {
  product?: { attributes?: { instanceType?: string } }
  terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, { unit?: string, pricePerUnit?: { USD?: string } }> }> }
}

/** The hourly on-demand USD price of a price-list row, as an exact decimal string; null for none or $0. */
export function hourlyPriceOf (row: PriceListProduct): string | null {
  for (const term of Object.values(row.terms?.OnDemand ?? {})) {
    for (const dimension of Object.values(term.priceDimensions ?? {})) {
      const usd = dimension.pricePerUnit?.USD
      if (dimension.unit !== 'Hrs' || usd === undefined || !/^\d+(\.\d+)?$/.test(usd) || Number(usd) === 0) continue
      return Number(usd).toFixed(6)
    }
  }
  return null
}

const refused = new WeakSet<object>()

/**
 * Linux on-demand prices of every instance type in the region, by type, from the AWS Price List
 * Query API (GetProducts, every page). A price list that refuses the credentials (AccessDenied:
 * the key may not read prices) leaves every price unknown (null), logged once per backend.
 */
export async function linuxOnDemandPrices (calls: CloudCalls, client: PricingClient, region: string, log: ProviderLog): Promise<Map<string, string>> {
  const prices = new Map<string, string>()
  let next: string | undefined
  try {
    do {
      const page = await calls.call({ idempotent: true }, async (abortSignal) => client.send(new GetProductsCommand({
        ServiceCode: 'AmazonEC2', Filters: FILTERS(region), FormatVersion: 'aws_v1', MaxResults: 100, ...(next === undefined ? {} : { NextToken: next })
      }), { abortSignal }))
      for (const item of page.PriceList ?? []) {
        const row = JSON.parse(String(item)) as PriceListProduct
        const type = row.product?.attributes?.instanceType
        const price = hourlyPriceOf(row)
        if (type !== undefined && price !== null && !prices.has(type)) prices.set(type, price)
      }
      next = page.NextToken ?? undefined
    } while (next !== undefined)
  } catch (error) {
    if (!(error instanceof ProviderError && error.failure === 'credentials-rejected')) throw error
    if (!refused.has(calls)) {
      refused.add(calls)
      log.warn({ provider: 'ec2', reason: error.message }, 'the price list refused these credentials; sizes are listed without prices')
    }
    return new Map()
  }
  return prices
}
