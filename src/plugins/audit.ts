import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { scrubText } from '../domain/text.ts'

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

// The path parameter that names the resource acted on, most specific first.
const PARAM_TYPES: ReadonlyArray<readonly [string, string]> = [
  ['machine_id', 'machine'], ['id', 'machine'], ['key_id', 'key'], ['token_id', 'token'], ['user_id', 'user'], ['backend_id', 'backend'], ['schedule_id', 'schedule']
]
// What a 201's Location names, for creations.
const CREATED_TYPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/api\/machine\/(\d+)$/, 'machine'], [/^\/backends\/([^/]+)$/, 'backend'], [/^\/keys\/([^/]+)$/, 'key'],
  [/^\/api\/tokens\/([^/]+)$/, 'token'], [/^\/api\/users\/([^/]+)$/, 'user'], [/^\/api\/schedules\/([^/]+)$/, 'schedule']
]

function resourceOf (request: FastifyRequest, reply: FastifyReply): { type: string, id: string } | null {
  const location = reply.getHeader('location')
  if (reply.statusCode === 201 && typeof location === 'string') {
    for (const [pattern, type] of CREATED_TYPES) {
      const match = pattern.exec(location)
      if (match !== null) return { type, id: match[1]! }
    }
  }
  const params = (request.params ?? {}) as Record<string, unknown>
  for (const [name, type] of PARAM_TYPES) {
    if (typeof params[name] === 'string' || typeof params[name] === 'number') return { type, id: String(params[name]) }
  }
  return null
}

const outcomeOf = (status: number): string => status < 400 ? 'succeeded' : status < 500 ? 'refused' : 'failed'

/**
 * Records every mutating request once it is answered: who, what (the route), which resource,
 * when, and the outcome, refusals included. Written after the answer, off its path; the server
 * waits for pending writes before it closes.
 */
export default fp(async function audit (app) {
  const pending = new Set<Promise<unknown>>()

  app.addHook('onResponse', (request, reply, done) => {
    done()
    if (!MUTATING.has(request.method)) return
    const resource = resourceOf(request, reply)
    const write = app.db.auditEntry.create({
      data: {
        userId: request.user?.id ?? null,
        method: request.method,
        route: `${request.method} ${request.routeOptions.url ?? '(no route)'}`,
        // A refused request may name what PostgreSQL cannot store (a NUL in a path): the entry
        // records it with U+FFFD instead of being lost.
        path: scrubText(request.url.split('?')[0]!.slice(0, 2048)),
        resourceType: resource?.type ?? null,
        resourceId: resource === null ? null : scrubText(resource.id.slice(0, 255)),
        status: reply.statusCode,
        outcome: outcomeOf(reply.statusCode),
        requestId: request.id
      }
    }).catch((error: unknown) => {
      // While the database is away, entries cannot be kept (the outage itself is logged once).
      if (!app.dbAvailability.noteFailure(error)) request.log.error({ err: error }, 'could not write the audit entry')
    })
    pending.add(write)
    void write.finally(() => pending.delete(write))
  })

  app.addHook('preClose', async () => { await Promise.allSettled([...pending]) })
}, { name: 'audit', dependencies: ['database', 'auth'] })
