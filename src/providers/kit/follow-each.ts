import type { OperationLooks, OperationOutcome, OperationRef, ProviderLog } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'

/**
 * One look at each operation, for clouds that answer for one operation per call. An operation the
 * cloud no longer knows (404) has ended: the listing tells how. Refused credentials fail the whole
 * pass (and mark the backend); any other failure leaves that operation out of the answer, unread
 * this time, so its machine is judged by the listing alone.
 */
export async function followEach (
  operations: readonly OperationRef[],
  look: (operation: OperationRef) => Promise<OperationOutcome>,
  log: ProviderLog,
  cloud: string
): Promise<OperationLooks> {
  const outcomes = new Map<OperationRef, OperationOutcome>()
  await Promise.all(operations.map(async (operation) => {
    try {
      outcomes.set(operation, await look(operation))
    } catch (error) {
      if (error instanceof ProviderError && error.failure === 'not-found') outcomes.set(operation, { done: true, error: null })
      else leaveUnread(error, log, `${cloud}: could not read an operation`)
    }
  }))
  return { outcomes, calls: operations.length }
}

/**
 * A look at operations that failed: refused credentials fail the whole pass (and mark the
 * backend); anything else leaves those operations unread this time, logged, so their machines
 * are judged by the listing alone. For clouds that read many operations in one call too.
 */
export function leaveUnread (error: unknown, log: ProviderLog, message: string, details: Record<string, unknown> = {}): void {
  if (error instanceof ProviderError && error.failure === 'credentials-rejected') throw error
  log.warn({ ...details, err: error instanceof Error ? error.message : String(error) }, message)
}
