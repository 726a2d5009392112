import { createServer } from 'node:https'
import { createServer as createPlainServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { rmSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { AddressInfo } from 'node:net'

export interface FakeRequest {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: unknown
  rawBody: string
}

export type FakeHandler = (request: FakeRequest, response: ServerResponse) => Promise<void> | void

export interface HttpsFake {
  /** https://127.0.0.1:<port> */
  origin: string
  close(): Promise<void>
}

/** Where the throwaway test CA lives (made by scripts/test-ca.ts before the tests). */
export const TEST_CA_DIR = resolve('.test-ca')

/** How a fake is reached: HTTPS on 127.0.0.1 (the clouds), or plain HTTP on it or on a unix socket (a Docker engine). */
export type FakeTransport = 'https' | 'http' | { socketPath: string }

/**
 * A cloud fake on 127.0.0.1 over HTTPS, with a certificate from the throwaway test CA: the test
 * process (and any started server) trusts it only through NODE_EXTRA_CA_CERTS.
 */
export async function startHttpsFake (handler: FakeHandler): Promise<HttpsFake> {
  return startFake(handler, 'https')
}

/** A fake on the given transport; its origin is https://127.0.0.1:<port>, http://127.0.0.1:<port> or unix://<path>. */
export async function startFake (handler: FakeHandler, transport: FakeTransport): Promise<HttpsFake> {
  if (transport === 'https' && process.env.NODE_EXTRA_CA_CERTS === undefined) {
    throw new Error('the cloud fakes need the test CA: run the tests with `npm test` (it sets NODE_EXTRA_CA_CERTS=.test-ca/ca.pem)')
  }
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8')
      let body: unknown = rawBody
      if ((req.headers['content-type'] ?? '').includes('json') && rawBody !== '') {
        try { body = JSON.parse(rawBody) } catch { body = rawBody }
      } else if (rawBody !== '' && /^[[{]/.test(rawBody)) {
        try { body = JSON.parse(rawBody) } catch { body = rawBody }
      }
      Promise.resolve(handler({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', 'https://127.0.0.1'), headers: req.headers, body, rawBody }, res))
        .catch((error: unknown) => { if (!res.headersSent) sendJson(res, 500, { message: String(error) }) })
    })
  }
  const server = transport === 'https'
    ? createServer({ key: readFileSync(resolve(TEST_CA_DIR, 'server-key.pem')), cert: readFileSync(resolve(TEST_CA_DIR, 'server.pem')) }, serve)
    : createPlainServer(serve)
  server.keepAliveTimeout = 1000
  let origin: string
  if (typeof transport === 'object') {
    rmSync(transport.socketPath, { force: true })
    await new Promise<void>((resolve) => server.listen(transport.socketPath, resolve))
    origin = `unix://${transport.socketPath}`
  } else {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `${transport}://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  return {
    origin,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers })
  res.end(text)
}

/** A fault a test queues: the next matching requests answer it instead of the cloud's answer. */
export interface Fault { status: number, body?: unknown, headers?: Record<string, string>, delayMs?: number, times: number, match?: (request: FakeRequest) => boolean }

export class FaultQueue {
  readonly #faults: Fault[] = []
  add (fault: Omit<Fault, 'times'> & { times?: number }): void { this.#faults.push({ times: 1, ...fault }) }
  clear (): void { this.#faults.length = 0 }
  /** The fault for this request, counted down; undefined when the request goes through. */
  take (request: FakeRequest): Fault | undefined {
    const fault = this.#faults.find((candidate) => candidate.times > 0 && (candidate.match?.(request) ?? true))
    if (fault !== undefined) fault.times--
    return fault
  }
}

/**
 * What every cloud fake shares: its HTTPS server, the log of requests (with the bearer token each
 * carried) and the faults a test queues, answered before the cloud's own handling in the cloud's
 * own error body.
 */
export abstract class CloudFake {
  readonly faults = new FaultQueue()
  readonly requests: Array<{ method: string, path: string, token: string | null, at: number }> = []
  /** Each answer is held back a random 0..latencyMs, as a real cloud's are: concurrent calls interleave. */
  latencyMs = 0
  #origin = ''
  #close: () => Promise<void> = async () => {}

  /** https://127.0.0.1:<port> */
  get origin (): string { return this.#origin }

  async start (transport: FakeTransport = 'https'): Promise<this> {
    const fake = await startFake(async (request, response) => this.#serve(request, response), transport)
    this.#origin = fake.origin
    this.#close = fake.close
    return this
  }

  async close (): Promise<void> { await this.#close() }

  /** The cloud's error body for an injected status (429, 500, ...). */
  protected abstract faultBody (status: number): unknown
  /** An injected fault's answer, in the cloud's own format (JSON unless the cloud speaks otherwise). */
  protected sendFault (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    sendJson(response, status, body, headers)
  }

  /** The credential a request carried, for the request log (a bearer token unless the cloud signs otherwise). */
  protected credentialOf (request: FakeRequest): string | null {
    const auth = request.headers.authorization ?? ''
    return auth.startsWith('Bearer ') ? auth.slice(7) : null
  }

  protected abstract handle (request: FakeRequest, response: ServerResponse, token: string | null): Promise<void>

  async #serve (request: FakeRequest, response: ServerResponse): Promise<void> {
    const token = this.credentialOf(request)
    this.requests.push({ method: request.method, path: request.url.pathname + request.url.search, token, at: Date.now() })
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * this.latencyMs))
    const fault = this.faults.take(request)
    if (fault !== undefined) {
      if (fault.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs))
      if (fault.status === 0) return // never answers: the client's timeout must end it
      // -1: the work is done, but the answer comes only after the delay (a lost answer).
      if (fault.status !== -1) return this.sendFault(response, fault.status, fault.body ?? this.faultBody(fault.status), fault.headers)
    }
    await this.handle(request, response, token)
  }
}
