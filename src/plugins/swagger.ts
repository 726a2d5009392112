import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { Problem, problemResponses } from '../schemas/problem.ts'
import { BODY_TYPES, PRODUCES } from './content-negotiation.ts'

/** Every array is wrapped in XML (<tags><tag>..</tag></tags>); OpenAPI's default is not, so say so. */
function wrapArrays (node: unknown): void {
  if (Array.isArray(node)) { node.forEach(wrapArrays); return }
  if (node === null || typeof node !== 'object') return
  const schema = node as Record<string, any>
  if (schema.type === 'array') schema.xml = { ...schema.xml, wrapped: true }
  Object.values(schema).forEach(wrapArrays)
}

const DOCS_PREFIX = '/docs'

const STATUS_TEXT: Record<string, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content' }

/** "Default Response" says nothing; the status text says a little. */
function nameDefaultResponses (paths: unknown): void {
  for (const operations of Object.values(paths as Record<string, Record<string, { responses?: Record<string, { description: string }> }>>)) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (response.description === 'Default Response') response.description = STATUS_TEXT[status] ?? response.description
      }
    }
  }
}

/**
 * Schemas with a title become named components (#/components/schemas/MistMachine), so generated
 * clients get named types and each shape is written once instead of once per media type.
 */
function hoistNamedSchemas (node: unknown, components: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((item) => hoistNamedSchemas(item, components))
  if (node === null || typeof node !== 'object') return node
  const object = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, hoistNamedSchemas(value, components)]))
  const title = object.title
  if (typeof title !== 'string' || !('type' in object || 'anyOf' in object || 'oneOf' in object)) return object
  const existing = components[title]
  if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(object)) {
    throw new Error(`two different schemas are titled ${title}`)
  }
  components[title] = object
  return { $ref: `#/components/schemas/${title}` }
}

type Operation = {
  operationId?: string
  requestBody?: { required?: boolean }
  responses?: Record<string, { headers?: Record<string, unknown>, links?: Record<string, unknown> }>
  'x-body-optional'?: boolean
}

/**
 * What the route schemas cannot say by themselves: every 201 names its new resource in Location;
 * a machine made through the backends API links to its machine-API record; bodies that may be
 * left out say so; a oneOf on `provider` maps each provider to its branch.
 */
function completeOperations (document: { paths?: Record<string, Record<string, Operation>>, components?: { schemas?: Record<string, any> } }): void {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      const created = operation.responses?.['201']
      if (created !== undefined) {
        created.headers = { Location: { description: 'The URL of what was created; GET it', schema: { type: 'string', format: 'uri-reference' } } }
      }
      if (operation.operationId === 'createMachine' && created !== undefined) {
        created.links = {
          getMachine: { operationId: 'getMachine', parameters: { id: '$response.body#/machine_api_id' }, description: 'The machine\'s record in the machine API' }
        }
      }
      if (operation['x-body-optional'] === true) {
        delete operation['x-body-optional']
        if (operation.requestBody !== undefined) operation.requestBody.required = false
      }
    }
  }
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    if (schema.discriminator === undefined || !Array.isArray(schema.oneOf)) continue
    const property = schema.discriminator.propertyName as string
    schema.discriminator.mapping = Object.fromEntries(schema.oneOf.map((branch: { $ref: string }) => {
      const name = branch.$ref.split('/').pop()!
      // (A const is written as a one-value enum, which OpenAPI 3.0 tools read too.)
      const value = document.components!.schemas![name].properties[property]
      return [value.const ?? value.enum[0], branch.$ref]
    }))
  }
}

/**
 * The OpenAPI document, derived from the route schemas, with both media types on every body
 * and answer; served at /openapi.json and /openapi.yaml, explorable in Swagger UI at /docs.
 */
export default fp(async function openapi (app) {
  app.addSchema(Problem)

  // Before swagger collects the routes: every route speaks JSON and XML unless it says otherwise,
  // and every route that is not public needs a bearer token and may be throttled.
  app.addHook('onRoute', (route) => {
    // Swagger UI's own pages and assets are HTML, CSS and JavaScript, not API representations,
    // public, and protected by the Content-Security-Policy Swagger UI computes for them.
    if (route.url.startsWith(DOCS_PREFIX)) {
      // (helmet reads its per-route options from config at request time, whatever the hook order)
      route.config = { ...route.config, negotiate: false, public: true, helmet: { contentSecurityPolicy: false } }
    }
    if (route.schema === undefined || route.config?.negotiate === false) return
    route.schema.produces ??= PRODUCES
    if (route.schema.body !== undefined) route.schema.consumes ??= BODY_TYPES
    if (route.config?.optionalBody === true) (route.schema as Record<string, unknown>)['x-body-optional'] = true
    // What any route may answer: 406 for an Accept it cannot meet, 400 where anything is validated,
    // wherever a body can be sent (schema or not, it is read), 400, 413 and 415, and 503 when the
    // database cannot be reached (database-unavailable, with Retry-After).
    const takesBody = [route.method].flat().some((method) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method))
    const validated = takesBody || route.schema.params !== undefined || route.schema.querystring !== undefined
    const shared = [406, ...(validated ? [400] : []), ...(takesBody ? [413, 415] : []), ...(route.config?.public === true ? [] : [401, 429]), 503]
    route.schema.response = { ...problemResponses(...shared), ...(route.schema.response as object) }
    if (route.config?.public === true) route.schema.security = []
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Stratus',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        version: '0.1.0',
        description: 'One API for machines on every cloud. Two dialects: the backends API (mist.io style) and the machine API (GATE Cloud style). ' +
          'Every operation answers JSON or XML as Accept asks and takes JSON or XML bodies. Errors are RFC 9457 problem details ' +
          '(application/problem+json or application/problem+xml). In XML, arrays are wrapped (<tags><tag>a</tag></tags>), maps are ' +
          '<entry key="...">value</entry> elements, null is nil="true", and untyped values carry type="number|boolean|object|array".'
      },
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token: "stratus_" and 43 letters and digits. The first start prints the admin\'s; npm run token and /api/tokens make more.' },
          basicAuth: { type: 'http', scheme: 'basic', description: 'The same API token as the password, its id (shown when it is created) as the user name: for clients that can only send Basic, such as GATE Cloud\'s.' }
        }
      },
      security: [{ bearerAuth: [] }, { basicAuth: [] }],
      tags: [
        { name: 'accounts', description: 'Users, API tokens and the audit log' },
        { name: 'backends', description: 'Cloud accounts and what they offer' },
        { name: 'costs', description: 'What machines cost (docs/costs.md)' },
        { name: 'keys', description: 'SSH keys' },
        { name: 'machines (backends API)', description: 'mist.io-style machine management' },
        { name: 'machines (machine API)', description: 'GATE Cloud-style machine management' },
        { name: 'meta', description: 'Health and problem types' }
      ]
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string | undefined) ?? `def-${i}` },
    transformObject: (documentObject) => {
      const document = 'openapiObject' in documentObject ? documentObject.openapiObject : documentObject.swaggerObject
      const openapiDocument = document as { components?: { schemas?: Record<string, unknown> }, paths?: unknown }
      const schemas = (openapiDocument.components ??= {}).schemas ??= {}
      openapiDocument.paths = hoistNamedSchemas(openapiDocument.paths, schemas)
      nameDefaultResponses(openapiDocument.paths)
      completeOperations(openapiDocument as Parameters<typeof completeOperations>[0])
      wrapArrays(document)
      return document
    }
  })

  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: false },
    // Swagger UI's own policy (scripts from the server only), less upgrade-insecure-requests, which would
    // break it on plain http, and with inline styles allowed: Swagger UI sets style attributes at
    // run time, which no hash can cover (tests/docs-ui.test.ts saw them blocked in Chromium).
    staticCSP: true,
    transformStaticCSP: (header) => header
      .replace(/ ?upgrade-insecure-requests;?/, '')
      .replace(/style-src [^;]*;/, "style-src 'self' 'unsafe-inline';")
  })

  app.get('/openapi.json', { schema: { hide: true }, config: { negotiate: false, public: true } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger(), null, 2)))
  app.get('/openapi.yaml', { schema: { hide: true }, config: { negotiate: false, public: true } }, async (_request, reply) =>
    reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })))
}, { name: 'openapi' })
