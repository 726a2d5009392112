import type { CallPolicy } from '../driver.ts'
import { CloudCalls } from '../kit/cloud-calls.ts'
import { httpFailure, networkFailure } from '../kit/http-failure.ts'
import { followLinks } from '../kit/link-pager.ts'

interface PriceItem { armSkuName: string, skuName: string, productName: string, retailPrice: number, currencyCode: string, type: string, unitOfMeasure: string }

/**
 * The region's Linux pay-as-you-go hourly price of each VM size, from Azure's public Retail
 * Prices API (no credentials): Consumption meters only, without Spot, Low Priority and Windows.
 */
export async function linuxHourlyPrices (pricesUrl: string, region: string, policy: CallPolicy): Promise<Map<string, { price: number, currency: string }>> {
  const filter = `serviceName eq 'Virtual Machines' and armRegionName eq '${region}' and priceType eq 'Consumption'`
  // Its own throttle: the public price list is another service than the subscription's.
  const calls = new CloudCalls(policy, (error, signal) => networkFailure('azure prices', error, signal))
  const items = await followLinks<PriceItem>('azure prices', `${pricesUrl}?${new URLSearchParams({ $filter: filter })}`, async (url) => calls.call({ idempotent: true }, async (signal) => {
    const response = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json' } })
    if (!response.ok) throw httpFailure('azure prices', { status: response.status, header: (name) => response.headers.get(name) })
    const page = await response.json() as { Items?: PriceItem[], NextPageLink?: string | null }
    return { items: page.Items ?? [], next: page.NextPageLink }
  }))
  const prices = new Map<string, { price: number, currency: string }>()
  for (const item of items) {
    if (item.type !== 'Consumption' || item.unitOfMeasure !== '1 Hour') continue
    if (/\b(Spot|Low Priority)\b/.test(item.skuName) || /\bWindows\b/.test(item.productName)) continue
    prices.set(item.armSkuName, { price: item.retailPrice, currency: item.currencyCode })
  }
  return prices
}
