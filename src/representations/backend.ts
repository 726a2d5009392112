import type { Static } from '@sinclair/typebox'
import type { Backend as BackendRow } from '../generated/prisma/client.ts'
import type { Backend } from '../schemas/backend.ts'

/** A backend as answered: never its credentials. */
export const toBackend = (row: BackendRow): Static<typeof Backend> => ({
  id: row.id,
  title: row.title,
  provider: row.provider,
  enabled: row.enabled,
  settings: row.settings as Record<string, unknown>,
  credentials_status: row.credentialsRejectedAt === null ? 'ok' : 'rejected',
  credentials_error: row.credentialsError,
  credentials_rejected_at: row.credentialsRejectedAt?.toISOString() ?? null,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString()
})
