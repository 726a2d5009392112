/**
 * Where a cloud is: each endpoint a cloud's definition names, with the environment variables that
 * move it (tests point them at fakes on 127.0.0.1) and where it is by default. A cloud's
 * endpoints are its own: declared beside its definition, read when its plugin registers, so a
 * wrong value stops the server at start rather than at the first call.
 */
export interface EndpointSpec {
  /** The environment variables, the first one set winning (AWS: the service's own, then AWS_ENDPOINT_URL). */
  env: string | readonly string[]
  /** The cloud's public endpoint; null where the cloud's SDK finds it (per region, as AWS's). */
  default: string | null
  /** What it is (docs/clouds.md lists each). */
  description: string
}

export type Endpoints<S extends Readonly<Record<string, EndpointSpec>>> = {
  readonly [K in keyof S]: S[K]['default'] extends string ? string : string | undefined
}

/** The endpoints as the environment sets them: absolute http(s) URLs, kept without a trailing slash. */
export function readEndpoints<S extends Readonly<Record<string, EndpointSpec>>> (specs: S, env: Readonly<Record<string, string | undefined>>): Endpoints<S> {
  return Object.fromEntries(Object.entries<EndpointSpec>(specs).map(([name, spec]) => [name, endpointUrl(spec, env)])) as Endpoints<S>
}

function endpointUrl (spec: EndpointSpec, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const names = typeof spec.env === 'string' ? [spec.env] : spec.env
  const name = names.find((candidate) => env[candidate] !== undefined && env[candidate] !== '')
  const value = name === undefined ? spec.default : env[name]!
  if (value === null) return undefined
  const where = name ?? names[0]!
  let parsed: URL
  try { parsed = new URL(value) } catch { throw new Error(`${where} must be an absolute URL, got "${value}"`) }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`${where} must be an http(s) URL, got "${value}"`)
  return value.replace(/\/+$/, '')
}
