/**
 * RFC 9457 problem types of this API. Each type is a relative URI that resolves on the server
 * itself (GET /problems/{name} describes it), so a client can branch on `type` and a person can
 * follow it.
 */
export const PROBLEM_TYPES = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-body': { status: 400, title: 'The request body cannot be parsed' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'This needs an administrator' },
  'not-found': { status: 404, title: 'No such resource' },
  'method-not-allowed': { status: 405, title: 'The method is not allowed on this resource' },
  'not-acceptable': { status: 406, title: 'No acceptable representation' },
  'request-timeout': { status: 408, title: 'The request was not received in time' },
  'invalid-state': { status: 409, title: 'The action is not valid in the current state' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'body-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported request body media type' },
  'headers-too-large': { status: 431, title: 'The request headers are too large' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'action-not-supported': { status: 422, title: 'The provider cannot perform this action on this machine' },
  'unknown-reference': { status: 422, title: 'The request refers to something that does not exist' },
  'invalid-value': { status: 422, title: 'A value is well-formed but cannot be used here' },
  'credentials-rejected': { status: 422, title: 'The cloud provider refused the given credentials' },
  'provider-rejected': { status: 422, title: 'The cloud provider refused the request as invalid' },
  'provider-error': { status: 502, title: 'The cloud provider failed' },
  'provider-credentials-rejected': { status: 502, title: 'The cloud provider rejected the backend credentials' },
  'provider-unavailable': { status: 503, title: 'The cloud provider is unavailable or throttling' },
  'provider-timeout': { status: 504, title: 'The cloud provider did not answer in time' },
  'not-ready': { status: 503, title: 'The server is not ready for traffic' },
  'database-unavailable': { status: 503, title: 'The database cannot be reached; try again' },
  'internal-error': { status: 500, title: 'Internal server error' }
} as const satisfies Record<string, { status: number, title: string }>

export type ProblemType = keyof typeof PROBLEM_TYPES

export const problemTypeUri = (type: ProblemType): string => `/problems/${type}`

/** An error that is answered as a problem document of the given type. */
export class Problem extends Error {
  readonly type: ProblemType
  readonly status: number
  readonly extensions: Record<string, unknown>
  readonly headers: Record<string, string>

  constructor (type: ProblemType, detail: string, options: { extensions?: Record<string, unknown>, headers?: Record<string, string>, status?: number } = {}) {
    super(detail)
    this.type = type
    this.status = options.status ?? PROBLEM_TYPES[type].status
    this.extensions = options.extensions ?? {}
    this.headers = options.headers ?? {}
  }
}

export const notFound = (what: string): Problem => new Problem('not-found', `${what} does not exist`)

/**
 * A request the schemas accepted but the server's own rules refuse (422: well-formed, as the
 * document says, but not usable here, e.g. an expiry in the past or a field of another provider),
 * named field by field the way schema validation names them (errors[].pointer), so clients handle
 * both alike. 400 stays for what the published schema itself refuses.
 */
export function invalidFields (detail: string, errors: Array<{ field?: string, detail: string }>): Problem {
  return new Problem('invalid-value', detail, {
    extensions: { errors: errors.map((error) => ({ pointer: error.field === undefined ? '/body' : `/body/${error.field}`, detail: error.detail })) }
  })
}

/** A query parameter that is well-formed but cannot be used (422), pointed at as the validator points at the query. */
export const invalidQuery = (parameter: string, detail: string, message: string): Problem =>
  new Problem('invalid-value', message, { extensions: { errors: [{ pointer: `/querystring/${parameter}`, detail }] } })

/** Destroyed machines are archive records: nothing about them changes any more. */
export const archivedMachine = (change: string, state: string): Problem =>
  new Problem('invalid-state', `a destroyed machine is an archive record and cannot be ${change}`, { extensions: { state, allowed_actions: [] } })
