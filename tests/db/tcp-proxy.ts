import { createServer, connect, type Server, type Socket } from 'node:net'
import { once } from 'node:events'

/** What the proxy does with traffic: pass it, refuse it (the database is down), or swallow it silently. */
export type ProxyMode = 'forward' | 'cut' | 'silent'

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL in tests), for outages as an
 * operator meets them: `cut()` drops every connection and refuses new ones (a database that
 * went away), `silence()` keeps connections open but forwards nothing (a network that drops
 * packets), `restore()` forwards again on the same port.
 */
export class TcpProxy {
  readonly #target: { host: string, port: number }
  readonly #pairs = new Set<{ client: Socket, upstream: Socket | null }>()
  #server: Server | null = null
  #mode: ProxyMode = 'forward'
  port = 0

  constructor (target: { host: string, port: number }) {
    this.#target = target
  }

  get mode (): ProxyMode { return this.#mode }

  async start (port = 0): Promise<this> {
    const server = createServer((client) => this.#accept(client))
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    this.#server = server
    this.port = (server.address() as { port: number }).port
    return this
  }

  #accept (client: Socket): void {
    const pair: { client: Socket, upstream: Socket | null } = { client, upstream: null }
    this.#pairs.add(pair)
    client.on('error', () => {})
    client.on('close', () => { this.#pairs.delete(pair); pair.upstream?.destroy() })
    // A silent network: the connection opens, and nothing ever comes back.
    if (this.#mode === 'silent') { client.pause(); return }
    const upstream = connect(this.#target.port, this.#target.host)
    pair.upstream = upstream
    upstream.on('error', () => client.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
  }

  /** Every connection is dropped and new ones are refused (ECONNREFUSED), as when the database stops. */
  async cut (): Promise<void> {
    this.#mode = 'cut'
    const closed = this.#closeListener()
    for (const { client, upstream } of this.#pairs) { client.destroy(); upstream?.destroy() }
    this.#pairs.clear()
    await closed
  }

  /** Connections stay open but nothing passes either way; new ones are accepted and never answered. */
  async silence (): Promise<void> {
    this.#mode = 'silent'
    for (const { client, upstream } of this.#pairs) {
      client.unpipe(); upstream?.unpipe()
      client.pause(); upstream?.pause()
    }
  }

  /** Traffic passes again (on the same port); connections silenced meanwhile are dropped. */
  async restore (): Promise<void> {
    const wasSilent = this.#mode === 'silent'
    this.#mode = 'forward'
    if (wasSilent) {
      for (const { client, upstream } of this.#pairs) { client.destroy(); upstream?.destroy() }
      this.#pairs.clear()
    }
    if (this.#server === null) await this.start(this.port)
  }

  async #closeListener (): Promise<void> {
    const server = this.#server
    this.#server = null
    if (server === null) return
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  async close (): Promise<void> {
    const closed = this.#closeListener()
    for (const { client, upstream } of this.#pairs) { client.destroy(); upstream?.destroy() }
    this.#pairs.clear()
    await closed
  }
}
