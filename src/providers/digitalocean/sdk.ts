import { AsyncLocalStorage } from 'node:async_hooks'
import { createRequire } from 'node:module'
import type { AxiosInstance } from 'axios'
import type { DigitalOcean } from 'digitalocean-js'

const require = createRequire(import.meta.url)

/** Whose call this is: the backend's token, the API's base URL, the attempt's time limit. */
interface Caller { token: string, baseUrl: string, timeoutMs: number }

const callers = new AsyncLocalStorage<Caller>()

interface Shared { client: DigitalOcean, http: AxiosInstance }
let shared: Shared | undefined

/**
 * digitalocean-js keeps its token and base URL in ONE module-global axios instance, and its
 * services are stateless over it. So the library is loaded once, and each request is given its
 * backend's token, base URL and timeout by a request interceptor that reads them from the
 * AsyncLocalStorage context the call runs in (DigitalOceanSdk.run). A request made outside any
 * backend's context is refused, never sent with someone else's token. (A private copy of the
 * library per backend cost ~0.9 MB and ~9 ms of blocked event loop each: 1,000 backends grew a
 * server from 296 MB to 1,152 MB.)
 */
function load (): Shared {
  if (shared !== undefined) return shared
  const { DigitalOcean: Client } = require('digitalocean-js') as typeof import('digitalocean-js')
  const { instance } = require('digitalocean-js/src/lib/axios-instance.js') as { instance: AxiosInstance }
  // The constructor writes a token and base URL into the instance: placeholders, overwritten per request.
  const client = new Client('none', 'https://digitalocean.invalid/v2')
  delete instance.defaults.headers.common.Authorization
  // Redirects would carry the bearer token to wherever they point.
  instance.defaults.maxRedirects = 0
  instance.interceptors.request.use((config) => {
    const caller = callers.getStore()
    if (caller === undefined) throw new Error('digitalocean: a request outside any backend\'s call was refused (it would carry no token of its own)')
    config.baseURL = caller.baseUrl
    config.headers = Object.assign(config.headers ?? {}, { Authorization: `Bearer ${caller.token}` })
    // The library has no timeout of its own: a silent cloud would hold a request forever.
    config.timeout = caller.timeoutMs
    return config
  })
  shared = { client, http: instance }
  return shared
}

/** One backend's way into the shared library: every call it makes runs as that backend. */
export class DigitalOceanSdk {
  readonly #caller: Caller

  constructor (token: string, baseUrl: string, timeoutMs: number) {
    this.#caller = { token, baseUrl, timeoutMs }
  }

  run<T> (work: (client: DigitalOcean, http: AxiosInstance) => Promise<T>): Promise<T> {
    const { client, http } = load()
    return callers.run(this.#caller, async () => work(client, http))
  }
}
