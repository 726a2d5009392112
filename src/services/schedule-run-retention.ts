import type { PrismaClient } from '../generated/prisma/client.ts'
import { deleteInBatches, type BatchOptions, type RetentionResult } from './batched-delete.ts'

/**
 * Deletes schedule runs finished before `before`, with each machine's outcome (they go with their
 * run), oldest first by id, in batches. A minutely schedule over a thousand machines writes 1.4
 * million outcome rows a day, hence the small batches: a batch of runs is up to a few hundred
 * thousand rows. A run still running is kept, however old. Its (schedule, fire time) guarantee
 * needs no old rows: a schedule's next fire only moves forward.
 */
export async function pruneScheduleRuns (db: PrismaClient, { before, batchSize = 200, ...options }: { before: Date } & BatchOptions): Promise<RetentionResult> {
  return deleteInBatches(async (size) => db.$executeRaw`
    DELETE FROM schedule_runs WHERE id IN (
      SELECT id FROM schedule_runs WHERE finished_at < ${before} ORDER BY id LIMIT ${size})`, { batchSize, ...options })
}
