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
        if (Number(status) < 400) t.same(types, ['application/json', 'application/xml', 'text/xml'], `${where} ${status} answers JSON and XML`)
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
  t.same(served.security, [{ bearerAuth: [] }, { basicAuth: [] }], 'bearer tokens by default, or Basic with the token as password')
  t.same(served.components.securitySchemes.basicAuth.scheme, 'basic')
  const PUBLIC = new Set(['GET /health', 'GET /ready', 'GET /problems/{name}'])
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

t.test('Redocly\'s recommended rules pass with no error and no warning', async (t) => {
  const { execFile } = await import('node:child_process')
  // With no configuration file, redocly lint applies its recommended rules.
  const out = await new Promise<string>((resolve) => {
    execFile('node_modules/.bin/redocly', ['lint', 'openapi/openapi.json', '--format=json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      timeout: 120_000
    }, (_error, stdout) => resolve(stdout))
  })
  const report = JSON.parse(out)
  t.same(report.totals, { errors: 0, warnings: 0, ignored: 0 }, JSON.stringify(report.problems.slice(0, 5)))
})

t.test('every operation has a stable operationId and a 4xx; every 201 declares Location', async (t) => {
  const document = JSON.parse(await (await import('node:fs/promises')).readFile('openapi/openapi.json', 'utf8'))
  const ids = new Set<string>()
  for (const [path, operations] of Object.entries<any>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(operations)) {
      const where = `${method.toUpperCase()} ${path}`
      t.match(operation.operationId, /^[a-z][A-Za-z]+$/, `${where} has an operationId`)
      t.notOk(ids.has(operation.operationId), `${where}: operationId is unique`)
      ids.add(operation.operationId)
      t.ok(Object.keys(operation.responses).some((status) => status.startsWith('4')), `${where} declares a 4xx`)
      if (operation.responses['201'] !== undefined) t.ok(operation.responses['201'].headers?.Location, `${where} declares Location`)
    }
  }
  t.ok(document.servers?.length > 0, 'servers')
  t.ok(document.info.license?.name, 'license')
  t.same(document.paths['/backends/{backend_id}/machines'].post.responses['201'].links.getMachine.parameters, { id: '$response.body#/machine_api_id' })
})
