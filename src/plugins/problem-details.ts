import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import FindMyWay from 'find-my-way'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Problem, PROBLEM_TYPES, problemTypeUri, type ProblemType } from '../problems.ts'
import { ProviderError, type ProviderFailure } from '../providers/provider-error.ts'
import { isDatabaseUnavailable } from '../db/unavailable.ts'
import { Problem as ProblemSchema } from '../schemas/problem.ts'
import { toXml } from '../xml/encode.ts'
import { formatFor } from './content-negotiation.ts'
import { API_HEADERS } from './security-headers.ts'

const PROVIDER_PROBLEMS: Record<ProviderFailure, ProblemType> = {
  timeout: 'provider-timeout',
  unavailable: 'provider-unavailable',
  'rate-limited': 'provider-unavailable',
  'server-error': 'provider-error',
  'credentials-rejected': 'provider-credentials-rejected',
  'invalid-request': 'provider-rejected',
  'not-found': 'conflict',
  conflict: 'conflict'
}

/** Fastify's own client errors, by code, as problem types. */
const FASTIFY_PROBLEMS: Record<string, ProblemType> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed-body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-body',
  // A malformed percent-encoding, or a path segment longer than any id (routerOptions.maxParamLength).
  FST_ERR_BAD_URL: 'validation-failed',
  FST_ERR_MAX_PARAM_LENGTH: 'validation-failed'
}

/**
 * How long a client is asked to wait when the database cannot be reached: long enough for a
 * restart or failover to be noticed, short enough that clients come back as soon as it is.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5

function toProblem (error: FastifyError | Error): Problem {
  if (error instanceof Problem) return error
  if (error instanceof ProviderError) {
    const retry = error.retryAfterSeconds
    return new Problem(PROVIDER_PROBLEMS[error.failure], error.message, retry === undefined
      ? {}
      : { extensions: { retry_after: retry }, headers: { 'retry-after': String(retry) } })
  }
  // Unavailable, not broken: clients and load balancers know to come back (Retry-After).
  if (isDatabaseUnavailable(error)) {
    return new Problem('database-unavailable', 'the database cannot be reached at the moment; try the request again', {
      extensions: { retry_after: DATABASE_RETRY_AFTER_SECONDS },
      headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) }
    })
  }
  const fastifyError = error as FastifyError
  if (fastifyError.validation !== undefined) {
    const context = fastifyError.validationContext ?? 'body'
    const errors = fastifyError.validation.map((issue) => {
      const missing = issue.keyword === 'required' ? `/${String(issue.params.missingProperty)}` : ''
      const extra = issue.keyword === 'additionalProperties' ? `/${String(issue.params.additionalProperty)}` : ''
      const pointer = `/${context}${issue.instancePath}${missing}${extra}`
      return { pointer, detail: extra !== '' ? 'is not a known property' : (issue.message ?? 'is not valid') }
    })
    return new Problem('validation-failed', errors.map((e) => `${e.pointer} ${e.detail}`).join('; '), { extensions: { errors } })
  }
  const byCode = fastifyError.code === undefined ? undefined : FASTIFY_PROBLEMS[fastifyError.code]
  if (byCode !== undefined) return new Problem(byCode, fastifyError.message)
  // A JSON syntax error from the body parser, or any other client error Fastify raises.
  if (fastifyError.statusCode !== undefined && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new Problem(error instanceof SyntaxError ? 'malformed-body' : 'validation-failed', fastifyError.message, { status: fastifyError.statusCode })
  }
  return new Problem('internal-error', 'the server failed to handle the request; it has been logged')
}

/** The problem document's members: RFC 9457's, `message` for clients that read that (GATE Cloud's), extensions. */
export function problemBody (problem: Problem, instance: string): Record<string, unknown> {
  return {
    type: problemTypeUri(problem.type),
    title: PROBLEM_TYPES[problem.type].title,
    status: problem.status,
    detail: problem.message,
    message: problem.message === '' ? PROBLEM_TYPES[problem.type].title : problem.message,
    instance,
    ...problem.extensions
  }
}

/**
 * Sends a problem document in the negotiated format, with the same headers as every API answer;
 * the one place errors are answered, framework errors (made before any hook ran) included.
 */
export function sendProblem (request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  const body = problemBody(problem, request.url.split('?')[0]!)
  reply.problem = problem
  reply.code(problem.status).headers(API_HEADERS).header('vary', 'Accept').headers(problem.headers)
  const xml = request.routeOptions.config?.negotiate === false ? formatFor(request.headers.accept) === 'xml' : request.format === 'xml'
  if (xml) {
    return reply.type('application/problem+xml; charset=utf-8').send(toXml(ProblemSchema, body))
  }
  return reply.type('application/problem+json; charset=utf-8').send(JSON.stringify(body))
}

/** For errors Fastify answers before a route is found: negotiate from Accept, as the hooks would have. */
export function sendFrameworkProblem (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.format = formatFor(request.headers.accept)
  void sendProblem(request, reply, toProblem(error))
}

const CLIENT_ERRORS: Record<string, ProblemType> = {
  ERR_HTTP_REQUEST_TIMEOUT: 'request-timeout',
  HPE_HEADER_OVERFLOW: 'headers-too-large'
}

/**
 * What Node's HTTP parser refuses (a request not received within REQUEST_TIMEOUT_MS, headers
 * too large, a malformed request line) never reaches Fastify's routing: it is answered here, as
 * a problem document (JSON: the Accept header may not even have been read) with the same
 * headers, and the connection is closed.
 */
export function answerClientError (error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) { socket.destroy(); return }
  const type = CLIENT_ERRORS[error.code ?? ''] ?? 'malformed-body'
  const problem = new Problem(type, type === 'request-timeout'
    ? 'the whole request must arrive within the server\'s request deadline; the connection is closed'
    : type === 'headers-too-large' ? 'the request headers exceed the server\'s limit' : 'the request could not be read as HTTP')
  const body = JSON.stringify(problemBody(problem, ''))
  const headers = { ...API_HEADERS, 'content-type': 'application/problem+json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' }
  socket.end(`HTTP/1.1 ${problem.status} ${PROBLEM_TYPES[type].title}\r\n${Object.entries(headers).map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n${body}`)
  socket.destroySoon()
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const
/** The router's maxParamLength (src/app.ts): no id is longer. */
export const MAX_SEGMENT = 256

declare module 'fastify' {
  interface FastifyReply {
    /** The problem this reply answers with, for the access log's line. */
    problem: Problem | null
  }
}

export default fp(async function problemDetails (app) {
  app.decorateReply('problem', null)
  // Every route's path, by method, so a request for a known path with an unknown method is told
  // which methods there are (405 with Allow) instead of "no such resource".
  const paths = FindMyWay({ maxParamLength: 10_000 })
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if ((METHODS as readonly string[]).includes(method) && !paths.hasRoute(method as 'GET', route.url)) {
        paths.on(method as 'GET', route.url, () => {})
      }
    }
  })

  app.setErrorHandler(function handleError (error: FastifyError, request, reply) {
    const problem = toProblem(error)
    // Refusals are told by the access log's one line per request (plugins/access-log.ts).
    // Only faults are logged as errors: a Problem or a cloud's failure is an answer chosen on
    // purpose (the access log has its line), and an unreachable database is logged once per
    // outage by the database plugin, not once per request.
    if (problem.type === 'internal-error' && !(error instanceof Problem)) request.log.error({ err: error }, 'request failed')
    // Fastify closes the connection after a body parser's error in case part of the body is still
    // unread; these parsers read the body whole first, so a refused body leaves nothing behind and
    // the client keeps its connection (reconnecting cost more than refusing, bench "refuse ...").
    if (request.raw.complete) reply.removeHeader('connection')
    return sendProblem(request, reply, problem)
  })

  app.setNotFoundHandler(function handleNotFound (request, reply) {
    const path = request.url.split('?')[0]!
    const allowed = METHODS.filter((method) => paths.find(method, path) !== null)
    // An over-long segment is refused whatever the method, as the router refuses it for routes it has.
    if (allowed.length > 0 && path.split('/').some((segment) => segment.length > MAX_SEGMENT)) {
      return sendProblem(request, reply, new Problem('validation-failed', `a path segment is longer than ${MAX_SEGMENT} characters, longer than any id`))
    }
    if (allowed.length > 0) {
      return sendProblem(request, reply, new Problem('method-not-allowed', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, {
        headers: { allow: allowed.join(', ') }
      }))
    }
    return sendProblem(request, reply, new Problem('not-found', `no route ${request.method} ${path}`))
  })
}, { name: 'problem-details', dependencies: ['content-negotiation'] })
