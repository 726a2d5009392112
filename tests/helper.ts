import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import type { InjectOptions } from 'fastify'
import { buildApp, type App, type BuildOptions } from '../src/app.ts'
import { loadConfig, type Config } from '../src/config.ts'

/**
 * Builds the real app for inject() against the real PostgreSQL server. Each test file gets a
 * database of its own (created here, dropped at teardown), so files run in parallel.
 */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64')
/** The first admin's token in every test app (STRATUS_ADMIN_TOKEN). */
export const TEST_ADMIN_TOKEN = 'stratus_' + 'AdminTokenForTests0123456789abcdefghijklmnop'.slice(0, 43)

interface Teardown { teardown(fn: () => unknown): void }

/** The URL of a database of the test server by its name. */
function urlOf (name: string): string {
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/** An empty database of the test's own (tests of the migrations themselves start from nothing). */
export async function createTestDatabase (options: { template?: string } = {}): Promise<{ url: string, drop: () => Promise<void> }> {
  const name = `stratus_test_${process.pid}_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}${options.template === undefined ? '' : ` TEMPLATE ${options.template}`}`)
  await admin.end()
  return {
    url: urlOf(name),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    }
  }
}

/**
 * A database as a server leaves it at its first start (migrated, the job engine's schema and
 * queues made) but holding no rows: a copy of a template made once per version of the code.
 * Migrating and making the job queues cost each test app about 0.3 s of PostgreSQL's CPU and
 * 0.4 s of wall time, over some hundreds of apps and servers a run.
 */
export async function createAppDatabase (): Promise<{ url: string, drop: () => Promise<void> }> {
  appTemplate ??= makeAppTemplate()
  return createTestDatabase({ template: await appTemplate })
}

let appTemplate: Promise<string> | undefined

/** What the template depends on: the migrations, the code that makes the queues, the packages. */
function codeVersion (): string {
  const hash = createHash('sha256')
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) { if (entry.name !== 'generated') walk(path) } else hash.update(path).update(readFileSync(path))
    }
  }
  walk('prisma')
  walk('src')
  hash.update(readFileSync('package-lock.json'))
  return hash.digest('hex').slice(0, 16)
}

/**
 * The template, made by the real app's first start on an empty database, then emptied of rows
 * (the bootstrap admin, jobs), under an advisory lock so that test files starting together make
 * it once. Templates of other code versions are dropped then.
 */
async function makeAppTemplate (): Promise<string> {
  const name = `stratus_template_${codeVersion()}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  try {
    await admin.query('SELECT pg_advisory_lock(727073)')
    const { rows } = await admin.query('SELECT datistemplate FROM pg_database WHERE datname = $1', [name])
    if (rows[0]?.datistemplate === true) return name
    // Half made by a run that died: made again.
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.query(`CREATE DATABASE ${name}`)
    const app = await buildApp(testConfig({ databaseUrl: urlOf(name) }))
    await app.ready()
    await app.close()
    const template = new pg.Client({ connectionString: urlOf(name) })
    await template.connect()
    const tables = (await template.query("SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'")).rows.map((row) => row.name as string)
    await template.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`)
    await template.query('DELETE FROM pgboss.job')
    await template.query('DELETE FROM pgboss.archive')
    await template.end()
    await admin.query(`ALTER DATABASE ${name} IS_TEMPLATE true`)
    const stale = (await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'stratus\\_template\\_%' AND datname <> $1", [name])).rows
    for (const { datname } of stale) {
      // One in use by another run stays; the next run past it drops it.
      await admin.query(`ALTER DATABASE ${datname} IS_TEMPLATE false`).then(async () => admin.query(`DROP DATABASE ${datname}`)).catch(() => {})
    }
    return name
  } finally {
    await admin.query('SELECT pg_advisory_unlock(727073)').catch(() => {})
    await admin.end()
  }
}

export function testConfig (overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({}),
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    secretKey: TEST_SECRET_KEY,
    adminToken: TEST_ADMIN_TOKEN,
    pollIntervalMs: 10,
    rateLimitMax: 1_000_000,
    authFailuresMax: 1_000_000,
    providerRetries: 0,
    // Every list asks the cloud (tests/routes/backend-machines.test.ts tests the window itself).
    listFreshMs: 0,
    // Listings are not paced by the clouds' budgets (tests/providers/listing-budget.test.ts tests the pacing).
    listingBudgetPercent: 0,
    ...overrides,
    // No test reaches the internet: a cloud not given a fake is a closed local port (503).
    cloudEnv: { ...CLOUDS_AWAY, ...overrides.cloudEnv }
  }
}

/** Every cloud's endpoints at a closed local port: a test gives a fake only to the clouds it uses. */
export const CLOUDS_AWAY: Readonly<Record<string, string>> = {
  DIGITALOCEAN_API_URL: 'https://127.0.0.1:9/v2',
  AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9',
  AZURE_RESOURCE_MANAGER_URL: 'https://127.0.0.1:9',
  AZURE_PRICES_URL: 'https://127.0.0.1:9/api/retail/prices',
  AWS_ENDPOINT_URL: 'https://127.0.0.1:9',
  GCE_API_ENDPOINT: 'https://127.0.0.1:9'
}

/** Sends `options` with this token unless they carry an Authorization header of their own. */
export function withToken (app: App, token: string | null) {
  const inject = originalInject.get(app) ?? app.inject.bind(app)
  return async (options: InjectOptions) => {
    const headers: Record<string, string> = { ...(options.headers as Record<string, string> | undefined) }
    if (token !== null && headers.authorization === undefined) headers.authorization = `Bearer ${token}`
    return inject({ ...options, headers })
  }
}

const originalInject = new WeakMap<App, (options: InjectOptions) => ReturnType<App['inject']>>()

/** Makes app.inject act as the first admin by default; tests pass their own header otherwise. */
export function authorize<T extends App> (app: T): T {
  originalInject.set(app, app.inject.bind(app) as (options: InjectOptions) => ReturnType<App['inject']>)
  const inject = withToken(app, TEST_ADMIN_TOKEN)
  return Object.assign(app, { inject: ((options: InjectOptions) => inject(options)) as unknown as App['inject'] })
}

/** Creates a user (and a token for it) through the admin endpoints; returns an inject as that user. */
export async function createUser (app: App, name: string, admin = false) {
  const user = await app.inject({ method: 'POST', url: '/api/users', payload: { name, admin } })
  if (user.statusCode !== 201) throw new Error(`user not created: ${user.body}`)
  const { id } = JSON.parse(user.body)
  const issued = await app.inject({ method: 'POST', url: `/api/users/${id}/tokens`, payload: { name: `${name}'s token` } })
  const { token } = JSON.parse(issued.body)
  return { id: id as string, token: token as string, inject: withToken(app, token) }
}

export async function buildTestApp (t: Teardown, overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<App & { databaseUrl: string }> {
  const database = overrides.databaseUrl === undefined ? await createAppDatabase() : undefined
  const databaseUrl = overrides.databaseUrl ?? database!.url
  const app = authorize(await buildApp(testConfig({ ...overrides, databaseUrl }), options))
  // The app goes first, then its database: nothing may still be querying what is dropped.
  t.teardown(async () => {
    await app.close()
    await database?.drop()
  })
  await app.ready()
  return Object.assign(app, { databaseUrl })
}

/** Polls until check() returns a value other than undefined/false, or fails after timeoutMs. */
export async function eventually<T> (check: () => Promise<T | undefined | false>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export const json = (body: string): any => JSON.parse(body)

/** A sandbox backend with fast, configurable delays. */
export async function addSandboxBackend (app: App, settings: Record<string, unknown> = {}): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/backends',
    payload: { title: 'Sandbox', provider: 'sandbox', api_key: 'sandbox-secret-key', boot_delay_ms: 30, stop_delay_ms: 30, ...settings }
  })
  if (res.statusCode !== 201) throw new Error(`backend not created: ${res.body}`)
  return json(res.body).id
}

export async function addKey (app: App, name = 'test-key'): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/keys', payload: { name } })
  if (res.statusCode !== 201) throw new Error(`key not created: ${res.body}`)
  return json(res.body).id
}

export interface CreatedMachine { id: number, providerId: string }

/** Creates a sandbox machine; returns its machine-API id and its provider id. */
export async function createMachine (app: App, backendId: string, keyId: string, body: Record<string, unknown> = {}): Promise<CreatedMachine> {
  const res = await app.inject({
    method: 'POST',
    url: `/backends/${backendId}/machines`,
    payload: { name: 'web-1', key: keyId, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small', ...body }
  })
  if (res.statusCode !== 201) throw new Error(`machine not created: ${res.body}`)
  return { id: Number(res.headers.location!.split('/').pop()), providerId: json(res.body).id }
}

/** Waits until the machine API shows the machine in `state`. */
export async function waitForState (app: App, id: number, state: string, timeoutMs = 5000): Promise<any> {
  return eventually(async () => {
    const res = await app.inject({ method: 'GET', url: `/api/machine/${id}` })
    const body = json(res.body)
    return body.state === state ? body : undefined
  }, timeoutMs)
}
