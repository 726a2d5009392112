import { ProviderError } from '../provider-error.ts'

export interface LinkedPage<T> { items: T[], next: string | null | undefined }

/** No list of a cloud is this long: a next link that never ends is the cloud's fault, not a loop of ours. */
const MAX_PAGES = 10_000

/**
 * Every page of a list whose pages link to the next by an absolute URL (DigitalOcean's
 * `links.pages.next`, Azure's `NextPageLink`). A link is followed only on the API's own origin:
 * the request carries the credentials, which a link elsewhere would hand to whoever it names.
 */
export async function followLinks<T> (cloud: string, first: string, read: (url: string, isFirst: boolean) => Promise<LinkedPage<T>>): Promise<T[]> {
  const origin = new URL(first).origin
  const items: T[] = []
  let next: string | null | undefined = first
  for (let pages = 0; next !== null && next !== undefined && next !== ''; pages++) {
    if (pages >= MAX_PAGES) throw new ProviderError('server-error', `${cloud}: more than ${MAX_PAGES} pages`)
    const page: LinkedPage<T> = await read(next, pages === 0)
    items.push(...page.items)
    next = page.next
    if (next !== null && next !== undefined && next !== '' && new URL(next, origin).origin !== origin) {
      throw new ProviderError('server-error', `${cloud}: a page link points away from the API (${new URL(next, origin).origin})`)
    }
    if (next !== null && next !== undefined && next !== '') next = new URL(next, origin).toString()
  }
  return items
}
