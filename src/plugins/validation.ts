import fp from 'fastify-plugin'
import { Problem } from '../problems.ts'
import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import { TEXT_PATTERN } from '../domain/text.ts'
import type { JsonSchema } from '../xml/schema-kind.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** true: the route also takes no body at all (mist.io's bodiless POST /keys and POST /keys/{id}). */
    optionalBody?: boolean
  }
}

const COMMON: Options = {
  useDefaults: true,
  // Unknown properties are refused, not silently dropped.
  removeAdditional: false,
  allErrors: true,
  // oneOf on `provider`: errors name the fields of the chosen provider only.
  discriminator: true,
  keywords: ['xml'],
  strict: false
}

/**
 * Every string a request can carry (in its body, path or query) gets the one text rule of
 * src/domain/text.ts unless its own pattern, format or enum already restricts it, and so does
 * every map key. The rule is written into the schema itself, so the OpenAPI document states it
 * and a generated client or fuzzer knows it.
 */
export function applyTextRule (schema: unknown): void {
  if (schema === null || typeof schema !== 'object') return
  if (Array.isArray(schema)) { schema.forEach(applyTextRule); return }
  const node = schema as JsonSchema
  if (node.type === 'string' && node.pattern === undefined && node.format === undefined && node.enum === undefined && node.const === undefined) {
    node.pattern = TEXT_PATTERN
  }
  if (node.type === 'object' && node.patternProperties !== undefined && node.propertyNames === undefined &&
      Object.keys(node.patternProperties).some((pattern) => pattern === '^(.*)$' || pattern === '^.*$')) {
    node.propertyNames = { pattern: TEXT_PATTERN }
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'xml' && key !== 'examples' && key !== 'default') applyTextRule(value)
  }
}

/**
 * Validation as the API document means it: a JSON body is validated exactly as sent (a string
 * where a number belongs, or ["stop"] where "stop" does, is refused, never coerced), while path
 * parameters and query strings, which are text by nature, are coerced to the schema's types
 * (and a single ?state= becomes an array). XML bodies arrive already typed by their schema
 * (src/xml/decode.ts).
 */
export default fp(async function validation (app) {
  const strict = addFormats.default(new Ajv({ ...COMMON, coerceTypes: false }))
  const coercing = addFormats.default(new Ajv({ ...COMMON, coerceTypes: 'array' }))
  const optionalBodies = new Set<string>()

  app.addHook('onRoute', (route) => {
    const schema = route.schema as Record<string, unknown> | undefined
    if (schema === undefined) return
    for (const part of ['body', 'querystring', 'params', 'headers']) applyTextRule(schema[part])
    if (route.config?.optionalBody === true) {
      for (const method of [route.method].flat()) optionalBodies.add(`${method} ${route.url}`)
    }
  })

  // A body sent as JSON null is not a body left out: the document admits an object or nothing,
  // and the validator cannot tell the two apart (Fastify hands it null for both).
  app.addHook('preValidation', async (request) => {
    if (request.body !== null || !optionalBodies.has(`${request.method} ${request.routeOptions.url}`) || !bodySent(request.headers)) return
    throw new Problem('validation-failed', '/body must be an object, or the body left out', { extensions: { errors: [{ pointer: '/body', detail: 'must be an object, or left out' }] } })
  })

  app.setValidatorCompiler(({ schema, httpPart, method, url }) => {
    const validate = (httpPart === 'body' ? strict : coercing).compile(schema)
    if (httpPart !== 'body' || !optionalBodies.has(`${method} ${url}`)) return validate
    // Fastify hands a missing body to the validator as null.
    const optional = (data: unknown): boolean => {
      const valid = data === undefined || data === null || validate(data)
      optional.errors = valid ? null : validate.errors
      return valid
    }
    optional.errors = null as typeof validate.errors
    return optional
  })
}, { name: 'validation' })

/** Whether the request carried a body at all (a length above zero, or a chunked one). */
const bodySent = (headers: Record<string, string | string[] | undefined>): boolean =>
  headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')
