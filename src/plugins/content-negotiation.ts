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
export const PRODUCES = ['application/json', 'application/xml']

/** The schema that shapes the answer of this status, if the route declares one. */
export function responseSchemaOf (request: FastifyRequest, status: number): JsonSchema | undefined {
  const responses = request.routeOptions.schema?.response as Record<string, JsonSchema> | undefined
  return responses?.[status] ?? responses?.[`${Math.floor(status / 100)}xx`]
}

/**
 * JSON or XML, as Accept asks (q-values honoured, 406 when neither will do), for answers; JSON
 * or XML bodies by Content-Type, read with the route's own body schema so both validate alike.
 */
export default fp<{ bodyLimit: number, xmlMaxDepth: number }>(async function contentNegotiation (app, options) {
  const readXml = createXmlReader({ maxDepth: options.xmlMaxDepth })

  app.decorateRequest('format', 'json')
  app.decorateRequest('xmlType', 'application/xml')

  // Clients send the same few Accept headers over and over; each is negotiated once.
  const negotiated = new Map<string, string | undefined>()
  const negotiate = (accept: string): string | undefined => {
    if (negotiated.has(accept)) return negotiated.get(accept)
    const chosen = new Negotiator({ headers: { accept } }).mediaType(OFFERED)
    if (negotiated.size >= 1000) negotiated.clear()
    negotiated.set(accept, chosen)
    return chosen
  }

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

  app.addContentTypeParser(XML_TYPES, { parseAs: 'string', bodyLimit: options.bodyLimit }, async (request: FastifyRequest, body: string) => {
    try {
      return readXml(body, request.routeOptions.schema?.body as JsonSchema | undefined)
    } catch (error) {
      if (error instanceof XmlBodyError) throw new Problem('malformed-body', error.message)
      throw error
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
