import { Type, type TSchema } from '@sinclair/typebox'

/** RFC 9457 problem details, with the extension members this API uses. */
export const Problem = Type.Object({
  type: Type.String({ description: 'URI reference naming the problem type; GET it for a description' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  message: Type.String({ description: 'The same text as detail (the title where there is none), for clients that read `message`, such as GATE Cloud\'s' }),
  instance: Type.String({ description: 'The request path the problem occurred on' }),
  errors: Type.Optional(Type.Array(Type.Object({
    pointer: Type.String({ description: 'JSON Pointer into the request (body, querystring or params)' }),
    detail: Type.String()
  }, { xml: { name: 'error' } }), { description: 'Each validation error (validation-failed only)' })),
  state: Type.Optional(Type.String({ description: 'The machine\'s current state (invalid-state only)' })),
  allowed_actions: Type.Optional(Type.Array(Type.String({ xml: { name: 'action' } }), { description: 'Actions valid in the current state (invalid-state only)' })),
  retry_after: Type.Optional(Type.Integer({ description: 'Seconds to wait before retrying, as the Retry-After header says (provider-unavailable, database-unavailable)' }))
}, { $id: 'Problem', xml: { name: 'problem' }, description: 'RFC 9457 problem details' })

const problemRef = Type.Ref('Problem')

/** Response entries for error statuses: the problem document in both media types. */
export function problemResponses (...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, {
    description: PROBLEM_DESCRIPTIONS[status] ?? 'Problem',
    content: {
      'application/problem+json': { schema: problemRef },
      'application/problem+xml': { schema: problemRef }
    }
  } as unknown as TSchema]))
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (validation-failed, malformed-body)',
  401: 'No valid bearer token (unauthorized); see WWW-Authenticate',
  403: 'Only an administrator can do this (forbidden)',
  404: 'No such resource (not-found)',
  406: 'None of the Accept header\'s media types can be produced (not-acceptable)',
  409: 'Not valid in the current state (invalid-state, conflict)',
  413: 'Request body too large (body-too-large)',
  415: 'Request body media type not supported (unsupported-media-type)',
  429: 'Too many requests with this token (rate-limited); see Retry-After',
  422: 'The provider can never do this (action-not-supported), or the request names something unknown (unknown-reference)',
  502: 'The provider failed or rejected the backend credentials (provider-error, provider-credentials-rejected)',
  503: 'The database cannot be reached (database-unavailable), or the provider is unavailable or throttling (provider-unavailable); see Retry-After',
  504: 'The provider did not answer in time (provider-timeout)'
}

/** What any route that talks to a provider may answer when the provider fails. */
export const PROVIDER_PROBLEMS = [502, 503, 504] as const
