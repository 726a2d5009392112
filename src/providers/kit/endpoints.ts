/**
 * Where a cloud is: each endpoint a cloud's definition names, with the environment variable that
 * moves it (tests point them at fakes on 127.0.0.1) and where it is by default. A cloud's
 * endpoints are its own: declared beside its definition, read when its plugin registers, so a
 * wrong value stops the server at start rather than at the first call.
 */
export interface EndpointSpec {
  /** The environment variable, e.g. DIGITALOCEAN_API_URL. */
  env: string
  /** The cloud's public endpoint. */
  default: string
  /** What it is (docs/clouds.md lists each). */
  description: string
}

export type Endpoints<K extends string> = Readonly<Record<K, string>>

/** The endpoints as the environment sets them: absolute http(s) URLs, kept without a trailing slash. */
export function readEndpoints<K extends string> (specs: Readonly<Record<K, EndpointSpec>>, env: Readonly<Record<string, string | undefined>>): Endpoints<K> {
  return Object.fromEntries(Object.entries<EndpointSpec>(specs).map(([name, spec]) => [name, endpointUrl(spec, env[spec.env])])) as Endpoints<K>
}

function endpointUrl (spec: EndpointSpec, raw: string | undefined): string {
  const value = raw === undefined || raw === '' ? spec.default : raw
  let parsed: URL
  try { parsed = new URL(value) } catch { throw new Error(`${spec.env} must be an absolute URL, got "${value}"`) }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`${spec.env} must be an http(s) URL, got "${value}"`)
  return value.replace(/\/+$/, '')
}
