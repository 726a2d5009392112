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

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.config?.negotiate === false) return
    const accept = request.headers.accept
    if (accept === undefined || accept === '') return
    const chosen = new Negotiator({ headers: { accept } }).mediaType(OFFERED)
    if (chosen === undefined) {
      throw new Problem('not-acceptable', `cannot answer with any of "${accept}"; this API speaks application/json and application/xml (or text/xml)`)
    }
    if (chosen.endsWith('xml')) {
      request.format = 'xml'
      request.xmlType = chosen === 'text/xml' ? 'text/xml' : 'application/xml'
    }
  })

  app.addContentTypeParser(XML_TYPES, { parseAs: 'string', bodyLimit: options.bodyLimit }, async (request: FastifyRequest, body: string) => {
    try {
      return readXml(body, request.routeOptions.schema?.body as JsonSchema | undefined)
    } catch (error) {
      if (error instanceof XmlBodyError) throw new Problem('malformed-body', error.message)
      throw error
    }
  })

  app.addHook('preSerialization', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (request.format !== 'xml' || request.routeOptions.config?.negotiate === false) return payload
    // Fastify serializes whatever this hook returns, so XML goes in as the reply's serializer.
    const schema = responseSchemaOf(request, reply.statusCode)
    reply.type(`${request.xmlType}; charset=utf-8`).serializer((value: unknown) => toXml(schema, value))
    return payload
  })

  // Answers vary with Accept; caches must know.
  app.addHook('onSend', async (request, reply) => {
    if (request.routeOptions.config?.negotiate !== false) reply.header('vary', 'Accept')
  })
}, { name: 'content-negotiation' })
