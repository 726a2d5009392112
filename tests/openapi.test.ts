import t from 'tap'
import { readFile } from 'node:fs/promises'
import SwaggerParser from '@apidevtools/swagger-parser'
import { parse as parseYaml } from 'yaml'
import { buildTestApp, json } from './helper.ts'

t.test('the OpenAPI document: committed, valid, both media types, every status', async (t) => {
  const app = await buildTestApp(t)
  const served = json((await app.inject({ method: 'GET', url: '/openapi.json' })).body)
  const committed = JSON.parse(await readFile('openapi/openapi.json', 'utf8'))
  t.same(committed, served, 'openapi/openapi.json is what the server generates (run npm run openapi)')
  t.same(parseYaml(await readFile('openapi/openapi.yaml', 'utf8')), served, 'and so is openapi/openapi.yaml')
  const yaml = await app.inject({ method: 'GET', url: '/openapi.yaml' })
  t.match(yaml.headers['content-type'], /yaml/)
  t.same(parseYaml(yaml.body), served)

  await SwaggerParser.validate(structuredClone(served) as any)
  t.pass('passes the OpenAPI validator')

  for (const [path, operations] of Object.entries<any>(served.paths)) {
    for (const [method, operation] of Object.entries<any>(operations)) {
      const where = `${method.toUpperCase()} ${path}`
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        if (status === '204') continue
        const types = Object.keys(response.content ?? {})
        if (Number(status) < 400) t.same(types, ['application/json', 'application/xml'], `${where} ${status} answers JSON and XML`)
        else t.same(types, ['application/problem+json', 'application/problem+xml'], `${where} ${status} is a problem`)
      }
      if (operation.requestBody !== undefined) {
        t.same(Object.keys(operation.requestBody.content), ['application/json', 'application/xml', 'text/xml'], `${where} takes JSON and XML`)
      }
    }
  }
  const listed = served.paths['/api/machine'].get.responses['200'].content['application/xml'].schema
  t.same(listed.xml, { name: 'machines', wrapped: true })
  t.same(served.components.schemas.GateMachineSummary.xml, { name: 'machine' })
  t.same(served.components.schemas.GateControl.xml, { name: 'control' })
  t.ok(served.components.schemas.Problem.properties.type, 'the problem type is documented')
  t.same(served.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: String(served.components.securitySchemes.bearerAuth.description) })
  t.same(served.security, [{ bearerAuth: [] }], 'bearer tokens by default')
  const PUBLIC = new Set(['GET /health', 'GET /problems/{name}'])
  const ADMIN = new Set(['GET /api/users', 'POST /api/users', 'POST /api/users/{user_id}/tokens', 'GET /api/audit'])
  for (const [path, operations] of Object.entries<any>(served.paths)) {
    for (const [method, operation] of Object.entries<any>(operations)) {
      const where = `${method.toUpperCase()} ${path}`
      if (PUBLIC.has(where)) {
        t.same(operation.security, [], `${where} is public`)
        continue
      }
      t.equal(operation.security, undefined, `${where} takes the bearer default`)
      t.ok(operation.responses['401'], `${where} documents 401`)
      t.ok(operation.responses['429'], `${where} documents 429`)
      if (ADMIN.has(where)) t.ok(operation.responses['403'], `${where} documents 403`)
      if (path.includes('{')) t.ok(operation.responses['404'], `${where} documents 404`)
    }
  }
  t.ok(served.paths['/api/machine/{id}/control'].post.responses['409'], 'not now')
  t.ok(served.paths['/api/machine/{id}/control'].post.responses['422'], 'never')
})

t.test('Swagger UI is served at /docs', async (t) => {
  const app = await buildTestApp(t)
  const page = await app.inject({ method: 'GET', url: '/docs/', headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /swagger/i)
  const spec = await app.inject({ method: 'GET', url: '/docs/json', headers: { accept: 'text/html,*/*' } })
  t.equal(spec.statusCode, 200)
})
