import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { request as httpRequest } from 'node:http'
import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from '../src/generated/prisma/client.ts'
import { CLOUDS_AWAY, createAppDatabase, TEST_ADMIN_TOKEN, TEST_SECRET_KEY } from './helper.ts'

interface Teardown { teardown(fn: () => unknown): void }

export interface StartedServer {
  base: string
  port: number
  databaseUrl: string
  logs(): string
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL: the server dies mid-work, as in a crash. */
  kill(): Promise<void>
}

/**
 * The real entry point (src/server.ts) as a process on a free port, on a database of its own
 * unless env gives DATABASE_URL (several servers sharing one).
 */
export async function startServer (t: Teardown, env: Record<string, string> = {}): Promise<StartedServer> {
  let databaseUrl = env.DATABASE_URL
  if (databaseUrl === undefined) {
    const database = await createAppDatabase()
    t.teardown(() => database.drop())
    databaseUrl = database.url
  }
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      // Certificates are checked as in production: the test CA is trusted only through NODE_EXTRA_CA_CERTS.
      ...withoutInsecureTls(process.env),
      // As production starts it: without tap's module recorder (a developer's own options stay).
      NODE_OPTIONS: withoutTapRecorder(process.env.NODE_OPTIONS),
      DATABASE_URL: databaseUrl,
      STRATUS_SECRET_KEY: TEST_SECRET_KEY,
      STRATUS_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      PORT: '0',
      LOG_LEVEL: 'info',
      POLL_INTERVAL_MS: '20',
      SHUTDOWN_DRAIN_MS: '0',
      // No test reaches the internet: a cloud not given a fake is a closed local port (503).
      ...CLOSED_CLOUDS,
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let logs = ''
  server.stdout.on('data', (chunk) => { logs += chunk })
  server.stderr.on('data', (chunk) => { logs += chunk })
  t.teardown(() => { if (server.exitCode === null) server.kill('SIGKILL') })
  const base = await new Promise<string>((resolve, reject) => {
    // A minute: with three test files at once, up to nine servers start together on two cores (CI saw 30 s pass).
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs}`)), 60_000)
    server.stdout.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(logs)
      if (match !== null) { clearTimeout(timer); resolve(match[1]!) }
    })
  })
  return {
    base,
    port: Number(new URL(base).port),
    databaseUrl,
    logs: () => logs,
    stop: async () => {
      if (server.exitCode !== null || server.signalCode !== null) return server.exitCode
      server.kill('SIGTERM')
      const [code] = await once(server, 'exit')
      return code as number | null
    },
    kill: async () => {
      server.kill('SIGKILL')
      await once(server, 'exit')
    }
  }
}

function withoutInsecureTls (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_TLS_REJECT_UNAUTHORIZED: _insecure, ...rest } = env
  return rest
}

/** Every cloud endpoint pointed at a closed local port; a test gives the ones it fakes. */
export const CLOSED_CLOUDS = CLOUDS_AWAY

/**
 * Stratus as a test drives it from outside: requests over HTTP (as the first admin, unless the
 * request carries its own Authorization), and its database, read with a Prisma client of the test's.
 */
export function asStratus (t: Teardown, server: StartedServer): Stratus {
  const db = new PrismaClient({ adapter: new PrismaPg({ connectionString: server.databaseUrl }) })
  t.teardown(() => db.$disconnect())
  return {
    db,
    inject: async ({ method, url, headers = {}, payload }) => {
      const answer = await fetch(`${server.base}${url}`, {
        method,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...headers },
        ...(payload === undefined ? {} : { body: payload })
      })
      return { statusCode: answer.status, body: await answer.text(), headers: Object.fromEntries(answer.headers) }
    }
  }
}

/** What a test needs of Stratus, in-process (the app itself) or a started server (asStratus). */
export interface Stratus {
  db: PrismaClient
  inject(request: { method: string, url: string, headers?: Record<string, string>, payload?: string }): Promise<{ statusCode: number, body: string, headers: Record<string, unknown> }>
}

export interface RawAnswer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

/**
 * One request with exactly the headers given, in the order given, and no others (fetch would add
 * its own): how a test replays what a real client sends, byte for byte.
 */
export function rawRequest (url: string, method: string, headers: Array<[string, string]>, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url)
    const req = httpRequest({ host: target.hostname, port: target.port, path: target.pathname + target.search, method, headers: headers.flat(), setHost: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    if (body !== undefined) req.write(body)
    req.end()
  })
}

/** A JSON request to a started server, as the admin unless a token is given. */
export async function call (server: StartedServer, method: string, path: string, body?: unknown, token = TEST_ADMIN_TOKEN): Promise<{ status: number, body: any }> {
  const answer = await fetch(`${server.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) })
  })
  const text = await answer.text()
  return { status: answer.status, body: text === '' ? null : JSON.parse(text) }
}

/** Polls until check() gives a value, or fails naming what it waited for. */
export async function until<T> (what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * NODE_OPTIONS without the module recorder tap hands every child process (@tapjs/processinfo,
 * which reads every file loaded: seconds of CPU per server, with dozens of servers a run).
 */
export function withoutTapRecorder (options = ''): string {
  const tokens = options.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? []
  const isRecorder = (token: string | undefined): boolean => token?.includes('@tapjs/processinfo') === true
  const kept: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    if (isRecorder(tokens[i])) continue
    // The flag and its value as two tokens: --import "file:///…/@tapjs/processinfo/…".
    if (/^"?--(import|loader|experimental-loader|require)"?$/.test(tokens[i]!) && isRecorder(tokens[i + 1])) { i++; continue }
    kept.push(tokens[i]!)
  }
  return kept.join(' ')
}
