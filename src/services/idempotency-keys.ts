import { createHash, randomUUID } from 'node:crypto'
import type { Prisma, PrismaClient } from '../generated/prisma/client.ts'
import { Problem } from '../problems.ts'
import { canonicalJson } from '../domain/canonical-json.ts'
import { deleteInBatches, type BatchOptions, type RetentionResult } from './batched-delete.ts'

/** A kept first answer: replayed as it was to any retry with the same key. */
export interface KeptAnswer { status: number, location: string, body: Record<string, unknown> }

export type Begun =
  | { kind: 'first', uuid: string }
  | { kind: 'replay', answer: KeptAnswer }
  /** The first request's outcome is not known yet: its machine, if the cloud made it, has this uuid. */
  | { kind: 'unsettled', uuid: string }

/** How long a key is kept (the header's description in the API document says so). */
export const IDEMPOTENCY_KEY_TTL_MS = 86_400_000

/**
 * Idempotency-Key for machine create, per user (the IETF httpapi draft's semantics): the first
 * request with a key claims it with one insert, so of two concurrent retries one creates and the
 * other waits its turn; a retry gets the first answer; the same key with another body is 422.
 * The key's uuid is the machine's uuid and the cloud's client token, so even a create whose
 * answer was lost (a timeout) is found by the sync and answered to the retry. A key is kept for
 * IDEMPOTENCY_KEY_TTL_MS: used again after that, it is a new request (and pruneIdempotencyKeys
 * deletes it meanwhile).
 */
export class IdempotencyKeys {
  constructor (private readonly db: PrismaClient) {}

  async begin (ownerId: string, key: string, backendId: string, body: unknown): Promise<Begun> {
    const requestHash = createHash('sha256').update(backendId).update('\n').update(canonicalJson(body)).digest('hex')
    const uuid = randomUUID()
    const expired = new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS)
    // Claimed by one statement: a new key, or one past its time (taken over as if new).
    const claimed = await this.db.$executeRaw`INSERT INTO idempotency_keys (owner_id, key, backend_id, request_hash, machine_uuid)
      VALUES (${ownerId}, ${key}, ${backendId}, ${requestHash}, ${uuid}::uuid)
      ON CONFLICT (owner_id, key) DO UPDATE SET backend_id = EXCLUDED.backend_id, request_hash = EXCLUDED.request_hash,
        machine_uuid = EXCLUDED.machine_uuid, status = NULL, response = NULL, created_at = now()
      WHERE idempotency_keys.created_at < ${expired}`
    if (claimed === 1) return { kind: 'first', uuid }
    const row = await this.db.idempotencyKey.findUnique({ where: { ownerId_key: { ownerId, key } } })
    // Released between our insert and this read (the first request failed for sure): try again.
    if (row === null) return this.begin(ownerId, key, backendId, body)
    if (row.requestHash !== requestHash) {
      throw new Problem('invalid-value', 'this Idempotency-Key was used with another request body or backend; use a new key for a new request', {
        extensions: { errors: [{ pointer: '/headers/idempotency-key', detail: 'used with another request' }] }
      })
    }
    if (row.status !== null && row.response !== null) return { kind: 'replay', answer: { status: row.status, ...(row.response as unknown as Omit<KeptAnswer, 'status'>) } }
    return { kind: 'unsettled', uuid: row.machineUuid }
  }

  async keep (ownerId: string, key: string, answer: KeptAnswer): Promise<void> {
    const response = { location: answer.location, body: answer.body } as unknown as Prisma.InputJsonValue
    await this.db.idempotencyKey.updateMany({ where: { ownerId, key, status: null }, data: { status: answer.status, response } })
  }

  /** The first request certainly made nothing (refused, invalid): the key is free for a corrected retry. */
  async release (ownerId: string, key: string): Promise<void> {
    await this.db.idempotencyKey.deleteMany({ where: { ownerId, key, status: null } })
  }
}

/** Deletes keys past IDEMPOTENCY_KEY_TTL_MS, oldest first, in batches (src/plugins/retention.ts). */
export async function pruneIdempotencyKeys (db: PrismaClient, options: BatchOptions = {}, now = Date.now()): Promise<RetentionResult> {
  const before = new Date(now - IDEMPOTENCY_KEY_TTL_MS)
  return deleteInBatches(async (size) => db.$executeRaw`
    DELETE FROM idempotency_keys WHERE (owner_id, key) IN (
      SELECT owner_id, key FROM idempotency_keys WHERE created_at < ${before} ORDER BY created_at LIMIT ${size})`, options)
}
