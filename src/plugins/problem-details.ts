import fp from 'fastify-plugin'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { Problem, PROBLEM_TYPES, problemTypeUri, type ProblemType } from '../problems.ts'
import { ProviderError, type ProviderFailure } from '../providers/provider-error.ts'
import { Problem as ProblemSchema } from '../schemas/problem.ts'
import { toXml } from '../xml/encode.ts'

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
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-body'
}

function toProblem (error: FastifyError | Error): Problem {
  if (error instanceof Problem) return error
  if (error instanceof ProviderError) {
    const retry = error.retryAfterSeconds
    return new Problem(PROVIDER_PROBLEMS[error.failure], error.message, retry === undefined
      ? {}
      : { extensions: { retry_after: retry }, headers: { 'retry-after': String(retry) } })
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

/** Sends a problem document in the negotiated format; the one place errors are answered. */
export function sendProblem (request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  const body = {
    type: problemTypeUri(problem.type),
    title: PROBLEM_TYPES[problem.type].title,
    status: problem.status,
    detail: problem.message,
    instance: request.url.split('?')[0],
    ...problem.extensions
  }
  reply.code(problem.status).headers(problem.headers)
  if (request.format === 'xml') {
    return reply.type('application/problem+xml; charset=utf-8').send(toXml(ProblemSchema, body))
  }
  return reply.type('application/problem+json; charset=utf-8').send(JSON.stringify(body))
}

export default fp(async function problemDetails (app) {
  app.setErrorHandler(function handleError (error: FastifyError, request, reply) {
    const problem = toProblem(error)
    if (problem.status >= 500 && !(error instanceof ProviderError)) request.log.error({ err: error }, 'request failed')
    else request.log.info({ problem: problem.type, detail: problem.message }, 'answered with a problem')
    return sendProblem(request, reply, problem)
  })

  app.setNotFoundHandler(function handleNotFound (request, reply) {
    return sendProblem(request, reply, new Problem('not-found', `no route ${request.method} ${request.url.split('?')[0]}`))
  })
}, { name: 'problem-details', dependencies: ['content-negotiation'] })
