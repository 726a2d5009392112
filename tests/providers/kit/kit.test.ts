import t from 'tap'
import { decodeOperationRef, encodeOperationRef, operationRef } from '../../../src/providers/kit/operation-ref.ts'
import { followLinks } from '../../../src/providers/kit/link-pager.ts'
import { httpFailure } from '../../../src/providers/kit/http-failure.ts'
import { CloudCalls } from '../../../src/providers/kit/cloud-calls.ts'
import { readEndpoints } from '../../../src/providers/kit/endpoints.ts'
import { ProviderError } from '../../../src/providers/provider-error.ts'

const POLICY = { timeoutMs: 1000, retries: 3, baseDelayMs: 10, maxDelayMs: 5000 }

t.test('operation references are versioned; what was stored before versions is version 0', async (t) => {
  const ref = operationRef('digitalocean-action', { type: 'shutdown', id: 7 })
  t.same(decodeOperationRef(encodeOperationRef(ref)), { v: 1, kind: 'digitalocean-action', data: { type: 'shutdown', id: 7 } })
  t.same(decodeOperationRef('{"type":"shutdown","id":7}'), { v: 0, kind: 'legacy', data: { type: 'shutdown', id: 7 } })
  t.same(decodeOperationRef('{"action":"start","poller":"{}"}'), { v: 0, kind: 'legacy', data: { action: 'start', poller: '{}' } })
  t.same(decodeOperationRef('not json'), { v: 0, kind: 'legacy', data: 'not json' })
})

t.test('pages are followed by their links, only on the API\'s own origin', async (t) => {
  const pages: Record<string, { items: number[], next: string | null }> = {
    'https://api.example/v2/x?per_page=2': { items: [1, 2], next: 'https://api.example/v2/x?page=2' },
    'https://api.example/v2/x?page=2': { items: [3], next: '/v2/x?page=3' },
    'https://api.example/v2/x?page=3': { items: [4], next: null }
  }
  t.same(await followLinks('test', 'https://api.example/v2/x?per_page=2', async (url) => pages[url]!), [1, 2, 3, 4], 'absolute and relative links')
  await t.rejects(followLinks('test', 'https://api.example/v2/x', async () => ({ items: [1], next: 'https://evil.example/steal' })),
    { failure: 'server-error', message: /points away from the API \(https:\/\/evil\.example\)/ }, 'a link elsewhere would carry the credentials there')
})

t.test('one classifier for every cloud: status, Retry-After or RateLimit-Reset, the cloud\'s words', async (t) => {
  const headers = (values: Record<string, string>) => (name: string) => values[name]
  t.match(httpFailure('x', { status: 429, header: headers({ 'retry-after': '3' }), message: 'slow down', code: 'TooMany' }), { failure: 'rate-limited', retryAfterSeconds: 3, message: 'x: slow down (429 TooMany)' })
  const reset = String(Math.floor(Date.now() / 1000) + 7)
  t.ok((httpFailure('x', { status: 429, header: headers({ 'ratelimit-reset': reset }) }).retryAfterSeconds ?? 0) >= 6, 'RateLimit-Reset on a 429')
  t.equal(httpFailure('x', { status: 200 + 300, header: headers({}) }).failure, 'server-error')
  t.equal(httpFailure('x', { status: 403, header: headers({}) }).failure, 'credentials-rejected')
  t.equal(httpFailure('x', { status: 503, header: headers({ 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' }) }).failure, 'unavailable')
})

t.test('a cloud\'s Retry-After quiets every call with those credentials, not only the one told', async (t) => {
  const calls = new CloudCalls(POLICY, () => new ProviderError('server-error', 'x'))
  const sent: Array<{ call: string, at: number }> = []
  let told = false
  const started = Date.now()
  const listing = (name: string, pages: number) => calls.call({ idempotent: true }, async () => {
    for (let page = 0; page < pages; page++) {
      sent.push({ call: name, at: Date.now() - started })
      if (name === 'vms' && !told) { told = true; throw new ProviderError('rate-limited', 'x: slow down (429)', { retryAfterSeconds: 1 }) }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })
  // Three lists of one listing; the first is told to wait a second; the others' later calls wait too.
  await Promise.all([listing('vms', 1), new Promise((resolve) => setTimeout(resolve, 100)).then(async () => listing('nics', 1))])
  const after = sent.filter((entry) => entry.at > 50)
  t.ok(after.length >= 2, 'the retry and the sibling call went out')
  t.ok(after.every((entry) => entry.at >= 950), `nothing went out within the second asked for (${JSON.stringify(sent)})`)
  const long = new CloudCalls(POLICY, () => new ProviderError('server-error', 'x'))
  long.throttle.quietFor(60)
  const refused = await long.call({ idempotent: true }, async () => 1).then(() => null, (error: unknown) => error)
  t.match(refused, { failure: 'rate-limited', retryAfterSeconds: 60 }, 'a pause longer than the policy waits is answered at once, with its Retry-After')
})

t.test('readEndpoints: the public default, or the environment\'s URL without its trailing slash; a wrong one stops the start', async (t) => {
  const specs = { api: { env: 'EXAMPLE_API_URL', default: 'https://api.example.com/v1', description: 'the API' } }
  t.same(readEndpoints(specs, {}), { api: 'https://api.example.com/v1' })
  t.same(readEndpoints(specs, { EXAMPLE_API_URL: '' }), { api: 'https://api.example.com/v1' }, 'empty is unset')
  t.same(readEndpoints(specs, { EXAMPLE_API_URL: 'https://127.0.0.1:8443/v1//' }), { api: 'https://127.0.0.1:8443/v1' })
  t.throws(() => readEndpoints(specs, { EXAMPLE_API_URL: 'api.example.com' }), /EXAMPLE_API_URL must be an absolute URL/)
  t.throws(() => readEndpoints(specs, { EXAMPLE_API_URL: 'ftp://api.example.com' }), /EXAMPLE_API_URL must be an http\(s\) URL/)
})
