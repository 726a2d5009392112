import fp from 'fastify-plugin'
import { SecretBox } from '../domain/secret-box.ts'
import { loadSecretKey } from '../secret-key.ts'
import { verifySecretKey } from '../services/secret-check.ts'

declare module 'fastify' {
  interface FastifyInstance { secrets: SecretBox }
}

/** The sealing box for credentials, admin passwords and private keys at rest. */
export default fp<Parameters<typeof loadSecretKey>[0]>(async function secrets (app, options) {
  app.decorate('secrets', new SecretBox(await loadSecretKey(options)))
}, { name: 'secrets' })

/** Once the database is open: is this the key its secrets were sealed with? */
export const secretKeyCheck = fp(async function secretKeyCheck (app) {
  await verifySecretKey(app.db, app.secrets)
}, { name: 'secret-key-check', dependencies: ['secrets', 'database'] })
