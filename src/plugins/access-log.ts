import fp from 'fastify-plugin'

/**
 * One access log line per request, written when it is answered (Fastify's own request logging,
 * a line on arrival and another on completion, is off). At LOG_LEVEL=warn or above pino makes
 * info a no-op; npm run bench measures what the line costs at info.
 */
export default fp(async function accessLog (app) {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request')
    done()
  })
}, { name: 'access-log' })
