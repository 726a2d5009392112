import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { actor } from '../plugins/auth.ts'
import { Problem } from '../problems.ts'
import { toAuditEntry } from '../representations/account.ts'
import { AuditList, AuditQuery } from '../schemas/account.ts'
import { problemResponses } from '../schemas/problem.ts'

/** The audit log: your own entries, newest first; an administrator can read anyone's. */
const audit: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/audit', {
    schema: {
      operationId: 'readAudit',
      tags: ['accounts'],
      summary: 'Read the audit log',
      description: 'Every mutating request, refused ones included, newest first. Filter by time (since, until) and resource (resource_type, resource_id).',
      querystring: AuditQuery,
      response: { 200: AuditList, ...problemResponses(400, 403) }
    }
  }, async (request) => {
    const user = actor(request)
    const query = request.query
    if (query.user_id !== undefined && !user.isAdmin && query.user_id !== user.id) throw new Problem('forbidden', 'only an administrator can read another user\'s entries')
    const userId = user.isAdmin ? query.user_id : user.id
    const entries = await app.db.auditEntry.findMany({
      where: {
        ...(userId === undefined ? {} : { userId }),
        ...(query.resource_type === undefined ? {} : { resourceType: query.resource_type }),
        ...(query.resource_id === undefined ? {} : { resourceId: query.resource_id }),
        at: { ...(query.since === undefined ? {} : { gte: new Date(query.since) }), ...(query.until === undefined ? {} : { lte: new Date(query.until) }) }
      },
      orderBy: { id: 'desc' },
      take: query.limit ?? 100
    })
    return entries.map(toAuditEntry)
  })
}

export default audit
