import type { CallPolicy } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import { callWithRetries, failureOfNetworkError, failureOfStatus, retryAfterSeconds } from '../call-with-retries.ts'

interface PriceItem { armSkuName: string, skuName: string, productName: string, retailPrice: number, currencyCode: string, type: string, unitOfMeasure: string }

/**
 * The region's Linux pay-as-you-go hourly price of each VM size, from Azure's public Retail
 * Prices API (no credentials): Consumption meters only, without Spot, Low Priority and Windows.
 */
export async function linuxHourlyPrices (pricesUrl: string, region: string, policy: CallPolicy): Promise<Map<string, { price: number, currency: string }>> {
  const filter = `serviceName eq 'Virtual Machines' and armRegionName eq '${region}' and priceType eq 'Consumption'`
  const origin = new URL(pricesUrl).origin
  let next: string | null = `${pricesUrl}?${new URLSearchParams({ $filter: filter })}`
  const prices = new Map<string, { price: number, currency: string }>()
  for (let pages = 0; next !== null; pages++) {
    if (pages >= 200) throw new ProviderError('server-error', 'azure prices: more than 200 pages')
    const url: string = next
    const page = await callWithRetries(policy, { idempotent: true }, classifyFetch, async (signal) => {
      const response = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json' } })
      if (!response.ok) {
        throw new ProviderError(failureOfStatus(response.status), `azure prices: HTTP ${response.status}`, { retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after')) })
      }
      return await response.json() as { Items?: PriceItem[], NextPageLink?: string | null }
    })
    for (const item of page.Items ?? []) {
      if (item.type !== 'Consumption' || item.unitOfMeasure !== '1 Hour') continue
      if (/\b(Spot|Low Priority)\b/.test(item.skuName) || /\bWindows\b/.test(item.productName)) continue
      prices.set(item.armSkuName, { price: item.retailPrice, currency: item.currencyCode })
    }
    next = page.NextPageLink ?? null
    if (next !== null && new URL(next).origin !== origin) throw new ProviderError('server-error', 'azure prices: a page link points elsewhere')
  }
  return prices
}

function classifyFetch (error: unknown, signal: AbortSignal): ProviderError {
  const failure = failureOfNetworkError(error, signal) ?? 'unavailable'
  return new ProviderError(failure, `azure prices: ${failure === 'timeout' ? 'no answer in time' : String((error as Error).message)}`, { cause: error })
}
