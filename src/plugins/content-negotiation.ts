import fp from 'fastify-plugin'
import Negotiator from 'negotiator'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { toXml } from '../xml/encode.ts'
import { createXmlReader, XmlBodyError } from '../xml/decode.ts'
import type { JsonSchema } from '../xml/schema-kind.ts'
import { Problem } from '../problems.ts'

export type Format = 'json' | 'xml'

declare module 'fastify' {
  interface FastifyRequest {
    /** The representation the client asked for in Accept. */
    format: Format
    /** The XML media type to answer with (text/xml when that is what was asked for). */
    xmlType: string
  }
  interface FastifyContextConfig {
    /** false: the route sends its own representation (documents, UI assets). */
    negotiate?: boolean
  }
}

// Order matters: with no preference (Accept absent or */*) the first one wins, so JSON is the default.
const OFFERED = ['application/json', 'application/xml', 'text/xml', 'application/problem+json', 'application/problem+xml']
export const XML_TYPES = ['application/xml', 'text/xml']
export const BODY_TYPES = ['application/json', ...XML_TYPES]

/** The media types a route answers and accepts, for the OpenAPI document. */
export const PRODUCES = BODY_TYPES

// Clients send the same few Accept headers over and over; each is negotiated once.
const negotiated = new Map<string, string | undefined>()
function negotiate (accept: string): string | undefined {
  if (negotiated.has(accept)) return negotiated.get(accept)
  const chosen = new Negotiator({ headers: { accept } }).mediaType(OFFERED)
  if (negotiated.size >= 1000) negotiated.clear()
  negotiated.set(accept, chosen)
  return chosen
}

/**
 * The format to answer a request in, read from Accept alone: for answers made before any hook
 * ran (framework errors), and by the hook below. JSON when nothing acceptable is offered.
 */
export function formatFor (accept: string | undefined): Format {
  if (accept === undefined || accept === '') return 'json'
  return negotiate(accept)?.endsWith('xml') === true ? 'xml' : 'json'
}

/** The schema that shapes the answer of this status, if the route declares one. */
export function responseSchemaOf (request: FastifyRequest, status: number): JsonSchema | undefined {
  const responses = request.routeOptions.schema?.response as Record<string, JsonSchema> | undefined
  return responses?.[status] ?? responses?.[`${Math.floor(status / 100)}xx`]
}

/**
 * JSON or XML, as Accept asks (q-values honoured, 406 when neither will do), for answers; JSON
 * or XML bodies by Content-Type, read with the route's own body schema so both validate alike.
 */
export default fp<{ xmlMaxDepth: number }>(async function contentNegotiation (app, options) {
  const readXml = createXmlReader({ maxDepth: options.xmlMaxDepth })
  const parseJson = app.getDefaultJsonParser('error', 'error')

  app.decorateRequest('format', 'json')
  app.decorateRequest('xmlType', 'application/xml')

  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config?.negotiate === false) return done()
    // Answers vary with Accept; caches must know.
    reply.header('vary', 'Accept')
    const accept = request.headers.accept
    if (accept === undefined || accept === '') return done()
    const chosen = negotiate(accept)
    if (chosen === undefined) {
      return done(new Problem('not-acceptable', `cannot answer with any of "${accept}"; this API speaks application/json and application/xml (or text/xml)`))
    }
    if (chosen.endsWith('xml')) {
      request.format = 'xml'
      request.xmlType = chosen === 'text/xml' ? 'text/xml' : 'application/xml'
    }
    done()
  })

  const fromXml = (request: FastifyRequest, body: string): unknown => {
    try {
      return readXml(body, request.routeOptions.schema?.body as JsonSchema | undefined)
    } catch (error) {
      if (error instanceof XmlBodyError) throw new Problem('malformed-body', error.message)
      throw error
    }
  }
  const fromJson = (request: FastifyRequest, body: string): Promise<unknown> => new Promise((resolve, reject) => {
    parseJson(request, body, (error, value) => error === null ? resolve(value) : reject(error))
  })

  /**
   * An empty body is no body where the route takes none or may go without one: many clients send
   * their Content-Type on every request (a DELETE; a POST /keys that only generates a pair). A
   * route whose body is required still refuses it as malformed.
   */
  const noBodyNeeded = (request: FastifyRequest): boolean =>
    request.routeOptions.schema?.body === undefined || request.routeOptions.config?.optionalBody === true

  // Body limits are per route (the server's default and machine create's own, src/app.ts), so no parser sets one.
  app.addContentTypeParser(XML_TYPES, { parseAs: 'string' }, async (request: FastifyRequest, body: string) =>
    body === '' && noBodyNeeded(request) ? undefined : fromXml(request, body))
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, async (request: FastifyRequest, body: string) =>
    body === '' && noBodyNeeded(request) ? undefined : fromJson(request, body))

  // Only JSON and XML are read: Fastify's text/plain parser would hand a string to validation (400).
  app.removeContentTypeParser('text/plain')

  // The catch-all: every other media type is 415. A body sent without any Content-Type (the
  // mist.io document's own examples and its 2014 client do that) is read as XML when it starts
  // with "<", as JSON when it parses as JSON, and is 415 otherwise.
  app.addContentTypeParser('*', { parseAs: 'string' }, async (request: FastifyRequest, body: string) => {
    const type = request.headers['content-type']
    if (type !== undefined) {
      throw new Problem('unsupported-media-type', `cannot read a body of type "${type}"; send application/json, application/xml or text/xml`)
    }
    if (body.trimStart().startsWith('<')) return fromXml(request, body)
    try {
      return await fromJson(request, body)
    } catch {
      throw new Problem('unsupported-media-type', 'a body without Content-Type must be JSON or XML; say which with Content-Type')
    }
  })

  app.addHook('preSerialization', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void) => {
    if (request.format === 'xml' && request.routeOptions.config?.negotiate !== false) {
      // Fastify serializes whatever this hook passes on, so XML goes in as the reply's serializer.
      const schema = responseSchemaOf(request, reply.statusCode)
      reply.type(`${request.xmlType}; charset=utf-8`).serializer((value: unknown) => toXml(schema, value))
    }
    done(null, payload)
  })
}, { name: 'content-negotiation' })
