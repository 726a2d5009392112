import type { ApiToken, AuditEntry, User } from '../generated/prisma/client.ts'

export const toUser = (user: User) => ({ id: user.id, name: user.name, admin: user.isAdmin, created_at: user.createdAt.toISOString() })

/** A token as listed: its name, prefix and dates, never its secret (which is not even kept). */
export const toToken = (token: ApiToken) => ({
  id: token.id,
  name: token.name,
  prefix: token.prefix,
  expires_at: token.expiresAt?.toISOString() ?? null,
  revoked_at: token.revokedAt?.toISOString() ?? null,
  created_at: token.createdAt.toISOString()
})

export const toAuditEntry = (entry: AuditEntry) => ({
  id: Number(entry.id),
  at: entry.at.toISOString(),
  user_id: entry.userId,
  method: entry.method,
  route: entry.route,
  path: entry.path,
  resource_type: entry.resourceType,
  resource_id: entry.resourceId,
  status: entry.status,
  outcome: entry.outcome as 'succeeded' | 'refused' | 'failed'
})
