export interface RetentionResult { deleted: number, batches: number }

export interface BatchOptions {
  batchSize?: number
  /** A pass deletes at most this many batches; the next pass goes on from where it stopped. */
  maxBatches?: number
  shouldStop?: () => boolean
}

/**
 * Deletes in batches of `batchSize` rows per statement (`deleteBatch` returns how many it
 * deleted), so that no single delete holds locks or bloats WAL for long and a busy server keeps
 * answering between batches; stops when a batch comes back short.
 */
export async function deleteInBatches (deleteBatch: (size: number) => Promise<number>, { batchSize = 5_000, maxBatches = 1_000, shouldStop = () => false }: BatchOptions = {}): Promise<RetentionResult> {
  let deleted = 0
  let batches = 0
  while (batches < maxBatches && !shouldStop()) {
    const count = await deleteBatch(batchSize)
    batches++
    deleted += count
    if (count < batchSize) break
  }
  return { deleted, batches }
}
