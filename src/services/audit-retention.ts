import type { PrismaClient } from '../generated/prisma/client.ts'

export interface RetentionResult { deleted: number, batches: number }

/**
 * Deletes audit entries older than `before`, `batchSize` rows per statement, so that no single
 * delete holds locks or bloats WAL for long and a busy server keeps answering between batches.
 * Entries are removed oldest first by id (the table's primary key), so a pass that stops early
 * (`maxBatches`, or the server closing) leaves a consistent tail for the next pass.
 */
export async function pruneAuditLog (
  db: PrismaClient,
  { before, batchSize = 5_000, maxBatches = 1_000, shouldStop = () => false }:
  { before: Date, batchSize?: number, maxBatches?: number, shouldStop?: () => boolean }
): Promise<RetentionResult> {
  let deleted = 0
  let batches = 0
  while (batches < maxBatches && !shouldStop()) {
    const count = await db.$executeRaw`
      DELETE FROM audit_entries WHERE id IN (
        SELECT id FROM audit_entries WHERE at < ${before} ORDER BY id LIMIT ${batchSize})`
    batches++
    deleted += count
    if (count < batchSize) break
  }
  return { deleted, batches }
}

/** The moment before which entries are past their retention. */
export const retentionCutoff = (days: number, now = Date.now()): Date => new Date(now - days * 86_400_000)
