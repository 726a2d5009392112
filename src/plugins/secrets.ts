import fp from 'fastify-plugin'
import { SecretBox } from '../domain/secret-box.ts'
import { loadSecretKey } from '../secret-key.ts'

declare module 'fastify' {
  interface FastifyInstance { secrets: SecretBox }
}

/** The sealing box for credentials, admin passwords and private keys at rest. */
export default fp<Parameters<typeof loadSecretKey>[0]>(async function secrets (app, options) {
  app.decorate('secrets', new SecretBox(await loadSecretKey(options)))
}, { name: 'secrets' })
