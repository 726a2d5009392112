import { createRequire } from 'node:module'
import { dirname, sep } from 'node:path'
import type { AxiosInstance } from 'axios'
import type { DigitalOcean } from 'digitalocean-js'

const require = createRequire(import.meta.url)
const ROOT = dirname(require.resolve('digitalocean-js/package.json')) + sep

/** The library's own modules (not the axios it depends on), as require.cache keys them. */
const libraryModules = (): string[] => Object.keys(require.cache).filter((path) => path.startsWith(ROOT) && !path.slice(ROOT.length).includes('node_modules'))

export interface PrivateSdk {
  client: DigitalOcean
  /** The axios instance this copy's services send through: for paging and its timeout. */
  http: AxiosInstance
}

/**
 * digitalocean-js keeps its token and base URL in ONE module-global axios instance, so two
 * backends in one process would send each other's token. Each backend gets its own copy of the
 * library's modules instead (loaded with the require cache cleared, then cleared again so that
 * nobody else shares the copy): its services close over its own axios instance.
 */
export function loadPrivateSdk (token: string, baseUrl: string, timeoutMs: number): PrivateSdk {
  for (const path of libraryModules()) Reflect.deleteProperty(require.cache, path)
  const { DigitalOcean: Client } = require('digitalocean-js') as typeof import('digitalocean-js')
  const { instance } = require(`${ROOT}src/lib/axios-instance.js`) as { instance: AxiosInstance }
  for (const path of libraryModules()) Reflect.deleteProperty(require.cache, path)
  // The library has no timeout of its own: a silent cloud would hold a request forever.
  instance.defaults.timeout = timeoutMs
  // Redirects would carry the bearer token to wherever they point.
  instance.defaults.maxRedirects = 0
  return { client: new Client(token, baseUrl), http: instance }
}
