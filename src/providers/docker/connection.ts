import Docker from 'dockerode'
import type { ProviderError } from '../provider-error.ts'
import { httpFailure, networkFailure } from '../kit/http-failure.ts'
import type { DockerHost } from './allowed-hosts.ts'

/** The Engine API version Stratus speaks (Docker 27): dockerode calls unversioned paths without it. */
export const ENGINE_API_VERSION = 'v1.47'

export interface DockerTls { ca_cert?: string, cert?: string, key?: string }

/**
 * A client of one engine: its unix socket, or its TCP address, over TLS when the backend gives
 * TLS material (the engine's CA, and a client certificate where the engine asks for one), plain
 * HTTP otherwise (Docker's 2375). Built from the backend's fields only, never DOCKER_HOST.
 */
export function dockerClient (host: DockerHost, tls: DockerTls): Docker {
  if (host.kind === 'unix') return keepingHeaders(new Docker({ socketPath: host.path, version: ENGINE_API_VERSION }))
  const secure = tls.ca_cert !== undefined || tls.cert !== undefined
  return keepingHeaders(new Docker({
    host: host.ip,
    port: host.port,
    protocol: secure ? 'https' : 'http',
    version: ENGINE_API_VERSION,
    ...(tls.ca_cert === undefined ? {} : { ca: tls.ca_cert }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key })
  }))
}

type Settle = (error: (Error & { headers?: unknown }) | null, data: unknown) => void
type BuildPayload = (error: unknown, isStream: boolean, statusCodes: unknown, openStdin: boolean, req: unknown, res: { headers?: unknown } | undefined, json: unknown, settle: Settle) => void

/**
 * docker-modem turns a failed answer into an Error without its headers. An engine sends no
 * Retry-After, but a proxy in front of one (TLS termination, an authorization gateway) may answer
 * 429 or 503 with it: this client's failed answers keep their headers, for the kit to honour.
 */
function keepingHeaders (docker: Docker): Docker {
  const modem = docker.modem as unknown as { buildPayload: BuildPayload }
  const build = modem.buildPayload.bind(modem)
  modem.buildPayload = (error, isStream, statusCodes, openStdin, req, res, json, settle) =>
    build(error, isStream, statusCodes, openStdin, req, res, json, (failure, data) => {
      if (failure !== null && res?.headers !== undefined) failure.headers = res.headers
      settle(failure, data)
    })
  return docker
}

/** docker-modem's error: the HTTP status, the engine's `{"message"}` body (parsed as json). */
interface ModemError { statusCode?: number, json?: { message?: string } | string | null, reason?: string, message?: string, headers?: Record<string, string | string[] | undefined> }

/**
 * A dockerode error as a ProviderError, through the kit's one classifier: the engine's status and
 * its message. No answer (a socket that is not there, a refused port): unreachable or a timeout.
 */
export function classify (error: unknown, signal: AbortSignal): ProviderError {
  const failure = error as ModemError
  if (typeof failure.statusCode !== 'number') return networkFailure('docker', error, signal)
  const body = failure.json
  const message = typeof body === 'object' && body !== null ? body.message : typeof body === 'string' ? body : failure.reason ?? failure.message
  return httpFailure('docker', { status: failure.statusCode, header: (name) => { const value = failure.headers?.[name]; return Array.isArray(value) ? value[0] : value }, message }, error)
}

/** Whether the engine answered "not modified": the container already is where it was asked to go. */
export const notModified = (error: unknown): boolean => (error as ModemError).statusCode === 304
