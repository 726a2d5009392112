import type { PrismaClient } from '../generated/prisma/client.ts'
import { deleteInBatches, type BatchOptions, type RetentionResult } from './batched-delete.ts'

export type { RetentionResult } from './batched-delete.ts'

/**
 * Deletes audit entries older than `before`, in batches. Entries are removed oldest first by id
 * (the table's primary key), so a pass that stops early (`maxBatches`, or the server closing)
 * leaves a consistent tail for the next pass.
 */
export async function pruneAuditLog (db: PrismaClient, { before, ...options }: { before: Date } & BatchOptions): Promise<RetentionResult> {
  return deleteInBatches(async (size) => db.$executeRaw`
    DELETE FROM audit_entries WHERE id IN (
      SELECT id FROM audit_entries WHERE at < ${before} ORDER BY id LIMIT ${size})`, options)
}

/** The moment before which entries are past their retention. */
export const retentionCutoff = (days: number, now = Date.now()): Date => new Date(now - days * 86_400_000)
