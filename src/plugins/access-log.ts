import fp from 'fastify-plugin'

/**
 * One access log line per request, written when it is answered (Fastify's own request logging,
 * a line on arrival and another on completion, is off); a refusal's problem type and detail are on
 * the same line. The line's fields are fixed and hold no secret, so it is written by a child logger
 * without the redaction paths: their wildcards cost four times the line itself (npm run bench,
 * "access log info / warn"). At LOG_LEVEL=warn or above pino makes info a no-op.
 */
export default fp(async function accessLog (app) {
  const log = app.log.child({}, { redact: { paths: [] } })
  app.addHook('onResponse', (request, reply, done) => {
    const line: Record<string, unknown> = { reqId: request.id, method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }
    if (reply.problem !== null) Object.assign(line, { problem: reply.problem.type, detail: reply.problem.message })
    log.info(line, 'request')
    done()
  })
}, { name: 'access-log', dependencies: ['problem-details'] })
