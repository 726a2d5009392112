import t from 'tap'
import fc from 'fast-check'
import pg from 'pg'
import { toXml } from '../src/xml/encode.ts'
import { addKey, addSandboxBackend, buildTestApp, createMachine, createUser, eventually, json, TEST_ADMIN_TOKEN, waitForState } from './helper.ts'
import { arbitraryOf } from './schema-arbitrary.ts'

/** Whether the document declares this answer: its status, and for a body, its media type. */
function undeclared (operation: any, status: number, contentType: string | undefined): string | null {
  const response = operation.responses[String(status)] ?? operation.responses[`${String(status)[0]}XX`] ?? operation.responses.default
  if (response === undefined) return `status ${status} is not declared`
  if (response.content === undefined || contentType === undefined || status === 204) return null
  const media = contentType.split(';')[0]!.trim()
  return response.content[media] === undefined ? `${media} is not declared for ${status}` : null
}

/**
 * Property: whatever arrives (random or mutated bodies, headers, query strings and path
 * parameters, at every route of the API document, in JSON and in XML), the answer is never a
 * 5xx, and a refused request (4xx) writes no record. The audit log is left out of the check:
 * recording refusals is its job.
 */
// A thousand requests across every route, then every route's contract: more than tap's default 120 s
// per file when CI runs three files at once on two cores (CI saw 133 s).
t.setTimeout(300_000)

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000)
const TABLES = ['users', 'api_tokens', 'backends', 'keys', 'machines', 'transitions', 'sizes', 'settings', 'sandbox_instances']
const SNAPSHOT = `SELECT ${TABLES.map((table) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM ${table} x) AS ${table}`).join(', ')}`

t.test('fuzzing every route: no 5xx, no record written by a refused request', async (t) => {
  const app = await buildTestApp(t, { bodyLimitBytes: 65_536 })
  const backend = await addSandboxBackend(app, { boot_delay_ms: 0, stop_delay_ms: 0 })
  const key = await addKey(app)
  const machine = await createMachine(app, backend, key)
  await waitForState(app, machine.id, 'active')
  const user = await createUser(app, 'fuzzy')
  const client = new pg.Client({ connectionString: app.databaseUrl })
  await client.connect()
  t.teardown(() => client.end())
  const snapshot = async () => {
    // Let every machine settle first: a successful action earlier in the run may still be moving one.
    await eventually(async () => (await client.query("SELECT count(*)::int AS n FROM machines WHERE state IN ('pending','starting','rebooting','stopping','destroying','unknown')")).rows[0].n === 0, 10_000)
    return JSON.stringify((await client.query(SNAPSHOT)).rows[0])
  }

  const document = json((await app.inject({ method: 'GET', url: '/openapi.json' })).body)
  const operations: Array<{ method: string, path: string, body: unknown, spec: any }> = []
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      const schema = operation.requestBody?.content?.['application/json']?.schema
      let body = schema?.$ref === undefined ? schema : document.components.schemas[schema.$ref.split('/').pop()]
      // A oneOf body (one branch per provider): mutate the first branch's properties.
      if (body?.oneOf !== undefined) body = document.components.schemas[body.oneOf[0].$ref.split('/').pop()]
      operations.push({ method: method.toUpperCase(), path, body, spec: operation })
    }
  }
  const adminTokenId = json((await app.inject({ method: 'GET', url: '/api/tokens' })).body)[0].id
  t.ok(operations.length >= 20, `${operations.length} operations`)

  // Each part of a request is mostly well-formed, so that most requests get past the edge and
  // into the handlers, where the interesting refusals are; the rest is noise of every kind.
  const mostly = <T>(valid: fc.Arbitrary<T>, noise: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: noise })
  const known = { backend_id: backend, machine_id: machine.providerId, id: String(machine.id), key_id: key, token_id: 'x', user_id: user.id, name: 'not-found' }
  // Characters PostgreSQL or XML cannot hold, and path segments longer than any id.
  const hostile = fc.constantFrom('\u0000', 'a\u0000b', '\u0001', '\uFFFE', 'x\uFFFF', '\u001b[0m', 'a'.repeat(101), 'a'.repeat(257))
  const weird = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 8 }), hostile,
    fc.constantFrom('0', '-1', '99999999999999999999', '1e3', '%00', '..%2F..', '%ZZ', 'a'.repeat(300), '__proto__', 'constructor'))
  // "." and ".." are dot segments, which every client resolves away (RFC 3986 5.2.4) before the
  // request is sent: /machines/./transitions is /machines/transitions, another route. No value a
  // client can send in a path segment.
  const param = (name: string) => mostly(fc.constant(known[name as keyof typeof known] ?? 'x'), weird.filter((value) => value !== '.' && value !== '..'))
  const accept = mostly(fc.constantFrom('application/json', 'application/xml', 'text/xml', '*/*'),
    fc.oneof(fc.constantFrom('text/html', 'application/xml;q=0.5, application/json;q=0.6', 'application/*;q=abc', ''), fc.string()))
  const authorization = fc.oneof(
    { weight: 2, arbitrary: fc.constant(`Bearer ${TEST_ADMIN_TOKEN}`) },
    { weight: 2, arbitrary: fc.constant(`Bearer ${user.token}`) },
    { weight: 1, arbitrary: fc.constant('Basic ' + Buffer.from(`${adminTokenId}:${TEST_ADMIN_TOKEN}`).toString('base64')) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('Bearer stratus_', 'Basic Zm9vOmJhcg==', '', `Bearer ${TEST_ADMIN_TOKEN}x`, 'Basic', 'Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'),
        'Basic ' + Buffer.from(`${adminTokenId}:`).toString('base64'), 'Basic ' + Buffer.from(`other:${TEST_ADMIN_TOKEN}`).toString('base64'))
    })
  const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom('state', 'since', 'until', 'limit', 'resource_type', 'resource_id', 'user_id', '__proto__'), fc.string()), fc.oneof(fc.constantFrom('active', 'inactive', 'destroyed', 'nope', '-1', '2026-01-01T00:00:00Z'), fc.string(), hostile)), { maxLength: 4 })

  // Bodies: a valid one, or one mutated (fields dropped, replaced, added), any JSON value, garbage.
  const mutated = (schema: any) => {
    const base: Record<string, unknown> = {}
    for (const [name, property] of Object.entries<any>(schema?.properties ?? {})) {
      base[name] = property.type === 'integer' ? 1 : property.type === 'boolean' ? true : property.type === 'object' ? {} : property.enum?.[0] ?? property.anyOf?.[0]?.enum?.[0] ?? 'value'
    }
    // Type confusion: the same value in another JSON type ("true" for true, 12345 for a name, ["stop"] for "stop").
    const confused = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom('true', 'false', '1', 12345, ['stop'], ['value'], { value: 1 }, null, '\u0000', 'a\uFFFEb'))
    const changed = fc.tuple(fc.dictionary(fc.oneof(fc.constantFrom(...Object.keys(base), '__proto__', 'constructor', 'extra'), fc.string()), confused, { maxKeys: 4 }), fc.subarray(Object.keys(base)))
      .map(([changes, dropped]) => {
        const body: Record<string, unknown> = { ...base }
        for (const name of dropped) delete body[name]
        for (const [name, value] of Object.entries(changes)) Object.defineProperty(body, name, { value, enumerable: true, configurable: true, writable: true })
        return body
      })
    return fc.oneof({ weight: 2, arbitrary: fc.constant(base) }, { weight: 3, arbitrary: changed })
  }
  const request = fc.constantFrom(...operations).chain((operation) => fc.record({
    operation: fc.constant(operation),
    params: fc.record(Object.fromEntries([...operation.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name!, param(name!)]))),
    query,
    accept,
    asXml: fc.boolean(),
    // undefined: the media type that matches the body's encoding
    contentType: mostly(fc.constant(undefined), fc.constantFrom('application/json', 'application/xml', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml;;;', '')),
    authorization,
    body: fc.oneof(
      { weight: 6, arbitrary: mutated(operation.body) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
      { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
      { weight: 1, arbitrary: fc.constantFrom('<a><b>x</b></a>', '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "e">]><a>&e;</a>', '<a>' + '<b>'.repeat(100) + '</b>'.repeat(100) + '</a>', '<a><b></a>', '{"a":', '\u0000\u0001', '<machine><name>&#0;</name></machine>') }
    )
  }))

  let answered = 0
  let refused = 0
  await fc.assert(fc.asyncProperty(request, async (r) => {
    const path = r.operation.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(r.params[name])))
    const search = new URLSearchParams(r.query).toString()
    const payload = r.operation.method === 'GET' || r.operation.method === 'DELETE'
      ? undefined
      : typeof r.body === 'string' ? r.body : r.asXml ? toXml(r.operation.body as any, r.body) : JSON.stringify(r.body)
    const before = await snapshot()
    const res = await app.inject({
      method: r.operation.method as 'GET',
      url: search === '' ? path : `${path}?${search}`,
      payload,
      headers: { accept: r.accept, authorization: r.authorization, ...(payload === undefined ? {} : { 'content-type': r.contentType ?? (r.asXml ? 'application/xml' : 'application/json') }) }
    })
    answered++
    if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${r.operation.method} ${path}: ${res.body}`)
    const off = undeclared(r.operation.spec, res.statusCode, res.headers['content-type'] as string | undefined)
    if (off !== null) throw new Error(`${r.operation.method} ${r.operation.path}: ${off} (${res.body.slice(0, 200)})`)
    const location = res.headers.location
    if (res.statusCode === 201) {
      const fetched = await app.inject({ method: 'GET', url: String(location) })
      if (fetched.statusCode !== 200) throw new Error(`201 Location ${String(location)} answers ${fetched.statusCode}`)
    }
    if (res.statusCode >= 400) {
      refused++
      if (await snapshot() !== before) throw new Error(`${res.statusCode} for ${r.operation.method} ${path} wrote a record`)
    }
  }), { numRuns: RUNS, interruptAfterTimeLimit: 240_000 })
  t.ok(answered >= Math.min(RUNS, 100), `${answered} requests answered, ${refused} refused`)
  t.ok(refused > answered / 4, 'many requests are refused, as they should be')
})

t.test('the document is the contract: schema-valid bodies are never refused as invalid, nil never slips through, wrong methods are 405', async (t) => {
  const app = await buildTestApp(t)
  const backend = await addSandboxBackend(app, { boot_delay_ms: 0, stop_delay_ms: 0 })
  const key = await addKey(app)
  const machine = await createMachine(app, backend, key)
  await waitForState(app, machine.id, 'active')
  const user = await createUser(app, 'fuzzy')
  const document = json((await app.inject({ method: 'GET', url: '/openapi.json' })).body)
  const known: Record<string, string> = { backend_id: backend, machine_id: machine.providerId, id: String(machine.id), key_id: key, token_id: 'x', user_id: user.id, name: 'not-found' }
  const withBodies: Array<{ method: string, path: string, schema: any, spec: any }> = []
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      const schema = operation.requestBody?.content?.['application/json']?.schema
      if (schema !== undefined) withBodies.push({ method: method.toUpperCase(), path, schema, spec: operation })
    }
  }
  // The document's schemas with every $ref inlined, as the server's own route schemas are, to encode XML with.
  const inline = (node: any): any => Array.isArray(node)
    ? node.map(inline)
    : node === null || typeof node !== 'object'
      ? node
      : node.$ref !== undefined
        ? inline(document.components.schemas[node.$ref.split('/').pop()])
        : Object.fromEntries(Object.entries(node).map(([key, value]) => [key, inline(value)]))
  const urlOf = (path: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(known[name] ?? 'x'))
  const runs = Math.max(50, Math.floor(RUNS / 4))

  const request = fc.constantFrom(...withBodies).chain((operation) => fc.record({
    operation: fc.constant(operation), body: arbitraryOf(operation.schema, document.components.schemas), asXml: fc.boolean()
  }))
  let checked = 0
  await fc.assert(fc.asyncProperty(request, async ({ operation, body, asXml }) => {
    const payload = asXml ? toXml(inline(operation.schema), body) : JSON.stringify(body)
    const res = await app.inject({ method: operation.method as 'POST', url: urlOf(operation.path), payload, headers: { 'content-type': asXml ? 'application/xml' : 'application/json' } })
    checked++
    // A cloud that cannot be reached (the test points clouds at a closed port) is a declared 503, not a
    // refusal; so is the failure a body asked the sandbox for (its faults map): 502-504 provider-*.
    const cloudDown = res.statusCode >= 502 && res.statusCode <= 504 && /"\/problems\/provider-[a-z-]+"|<type>\/problems\/provider-/.test(res.body)
    if (res.statusCode === 400 || (res.statusCode >= 500 && !cloudDown)) throw new Error(`${res.statusCode} for a body the document accepts: ${operation.method} ${operation.path} ${payload.slice(0, 300)}: ${res.body}`)
    const off = undeclared(operation.spec, res.statusCode, res.headers['content-type'] as string | undefined)
    if (off !== null) throw new Error(`${operation.method} ${operation.path}: ${off}`)
  }), { numRuns: runs, interruptAfterTimeLimit: 120_000 })
  t.ok(checked >= Math.min(runs, 50), `${checked} schema-valid bodies, in JSON and XML, none refused with 400`)

  // nil="true" on every field that cannot be null is refused, as a JSON null is.
  let nils = 0
  for (const operation of withBodies) {
    const schema = operation.schema.$ref === undefined ? operation.schema : document.components.schemas[operation.schema.$ref.split('/').pop()]
    const branch = schema.oneOf === undefined ? schema : document.components.schemas[schema.oneOf[0].$ref.split('/').pop()]
    const valid = fc.sample(arbitraryOf(branch, document.components.schemas), { numRuns: 1, seed: 7 })[0] as Record<string, unknown>
    for (const [name, property] of Object.entries<any>(branch.properties ?? {})) {
      if (property.anyOf?.some((variant: any) => variant.type === 'null') === true) continue
      const res = await app.inject({ method: operation.method as 'POST', url: urlOf(operation.path), payload: toXml(branch, { ...valid, [name]: null }), headers: { 'content-type': 'application/xml' } })
      t.equal(res.statusCode, 400, `${operation.method} ${operation.path}: <${name} nil="true"/> is refused`)
      nils++
    }
  }
  t.ok(nils > 20, `${nils} fields tried with nil`)

  // A method the document does not have on a path it has: 405, and Allow lists what it has.
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    const declared = Object.keys(methods).map((method) => method.toUpperCase())
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((candidate) => !declared.includes(candidate))) {
      const res = await app.inject({ method: method as 'GET', url: urlOf(path) })
      t.equal(res.statusCode, 405, `${method} ${path}`)
      t.ok(declared.every((allowed) => String(res.headers.allow).split(', ').includes(allowed)), `Allow: ${String(res.headers.allow)}`)
      t.match(res.headers['content-type'], /^application\/problem\+json/)
      // A path segment longer than any id is refused first, whatever the method.
      if (path.includes('{')) {
        const long = await app.inject({ method: method as 'GET', url: path.replace(/\{\w+\}/g, 'a'.repeat(300)) })
        t.equal(long.statusCode, 400, `${method} ${path} with an over-long segment`)
        t.match(long.headers['content-type'], /^application\/problem\+json/)
      }
    }
  }
})
