import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'

/**
 * Security headers on every answer (helmet). API answers are data and load nothing, so their
 * Content-Security-Policy forbids everything; Swagger UI's pages get the policy Swagger UI
 * computes for its own assets instead (see plugins/swagger.ts).
 */
export default fp(async function securityHeaders (app) {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    hsts: false // served over plain HTTP here; a TLS-terminating proxy sets HSTS
  })
}, { name: 'security-headers' })
