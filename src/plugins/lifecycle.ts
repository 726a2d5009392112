import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}

/** Where the server is in its life, for GET /ready: draining after SIGTERM, so load balancers stop sending. */
export class Lifecycle {
  #draining = false
  #working = false

  get draining (): boolean { return this.#draining }
  /** Whether this server's job workers have started (workers only). */
  get working (): boolean { return this.#working }
  drain (): void { this.#draining = true }
  startedWorking (): void { this.#working = true }
}

export default fp(async function lifecycle (app) {
  const state = new Lifecycle()
  app.decorate('lifecycle', state)
  // Closing drains too: a server being closed by any path is not ready.
  app.addHook('preClose', async () => { state.drain() })
}, { name: 'lifecycle' })
