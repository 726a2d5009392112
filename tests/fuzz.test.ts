import t from 'tap'
import fc from 'fast-check'
import pg from 'pg'
import { toXml } from '../src/xml/encode.ts'
import { addKey, addSandboxBackend, buildTestApp, createMachine, createUser, eventually, json, TEST_ADMIN_TOKEN, waitForState } from './helper.ts'

/**
 * Property: whatever arrives (random or mutated bodies, headers, query strings and path
 * parameters, at every route of the API document, in JSON and in XML), the answer is never a
 * 5xx, and a refused request (4xx) writes no record. The audit log is left out of the check:
 * recording refusals is its job.
 */
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
    await eventually(async () => app.watcher.idle && (await client.query("SELECT count(*)::int AS n FROM machines WHERE state IN ('pending','starting','rebooting','stopping','destroying','unknown')")).rows[0].n === 0, 10_000)
    return JSON.stringify((await client.query(SNAPSHOT)).rows[0])
  }

  const document = json((await app.inject({ method: 'GET', url: '/openapi.json' })).body)
  const operations: Array<{ method: string, path: string, body: unknown }> = []
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      const schema = operation.requestBody?.content?.['application/json']?.schema
      operations.push({ method: method.toUpperCase(), path, body: schema?.$ref === undefined ? schema : document.components.schemas[schema.$ref.split('/').pop()] })
    }
  }
  t.ok(operations.length >= 20, `${operations.length} operations`)

  // Each part of a request is mostly well-formed, so that most requests get past the edge and
  // into the handlers, where the interesting refusals are; the rest is noise of every kind.
  const mostly = <T>(valid: fc.Arbitrary<T>, noise: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: noise })
  const known = { backend_id: backend, machine_id: machine.providerId, id: String(machine.id), key_id: key, token_id: 'x', user_id: user.id, name: 'not-found' }
  const weird = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('0', '-1', '99999999999999999999', '1e3', '%00', '..%2F..', '%ZZ', 'a'.repeat(300), '__proto__', 'constructor'))
  const param = (name: string) => mostly(fc.constant(known[name as keyof typeof known] ?? 'x'), weird)
  const accept = mostly(fc.constantFrom('application/json', 'application/xml', 'text/xml', '*/*'),
    fc.oneof(fc.constantFrom('text/html', 'application/xml;q=0.5, application/json;q=0.6', 'application/*;q=abc', ''), fc.string()))
  const authorization = fc.oneof(
    { weight: 2, arbitrary: fc.constant(`Bearer ${TEST_ADMIN_TOKEN}`) },
    { weight: 2, arbitrary: fc.constant(`Bearer ${user.token}`) },
    { weight: 1, arbitrary: fc.constantFrom('Bearer stratus_', 'Basic Zm9vOmJhcg==', '', `Bearer ${TEST_ADMIN_TOKEN}x`) })
  const query = fc.array(fc.tuple(fc.oneof(fc.constantFrom('state', 'since', 'until', 'limit', 'resource_type', 'user_id', '__proto__'), fc.string()), fc.oneof(fc.constantFrom('active', 'inactive', 'destroyed', 'nope', '-1', '2026-01-01T00:00:00Z'), fc.string())), { maxLength: 4 })

  // Bodies: a valid one, or one mutated (fields dropped, replaced, added), any JSON value, garbage.
  const mutated = (schema: any) => {
    const base: Record<string, unknown> = {}
    for (const [name, property] of Object.entries<any>(schema?.properties ?? {})) {
      base[name] = property.type === 'integer' ? 1 : property.type === 'boolean' ? true : property.type === 'object' ? {} : property.enum?.[0] ?? property.anyOf?.[0]?.enum?.[0] ?? 'value'
    }
    const changed = fc.tuple(fc.dictionary(fc.oneof(fc.constantFrom(...Object.keys(base), '__proto__', 'constructor', 'extra'), fc.string()), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), fc.subarray(Object.keys(base)))
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
    if (res.statusCode >= 400) {
      refused++
      if (await snapshot() !== before) throw new Error(`${res.statusCode} for ${r.operation.method} ${path} wrote a record`)
    }
  }), { numRuns: RUNS, interruptAfterTimeLimit: 240_000 })
  t.ok(answered >= Math.min(RUNS, 100), `${answered} requests answered, ${refused} refused`)
  t.ok(refused > answered / 4, 'many requests are refused, as they should be')
})
