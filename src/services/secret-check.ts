import type { PrismaClient } from '../generated/prisma/client.ts'
import type { SecretBox } from '../domain/secret-box.ts'

const CHECK_KEY = 'secret_check'
const CHECK_TEXT = 'stratus: this database is sealed with this key'

export class WrongSecretKeyError extends Error {
  constructor () {
    super('STRATUS_SECRET_KEY does not open the secrets in this database: the key was changed without re-encryption. ' +
      'Start with the old key, or re-encrypt first with STRATUS_OLD_SECRET_KEY=<old> STRATUS_SECRET_KEY=<new> npm run secrets:rekey.')
  }
}

const opens = (box: SecretBox, sealed: string): boolean => {
  try { box.open(sealed); return true } catch { return false }
}

/**
 * Fails at start, loudly, when the configured key is not the one this database's secrets were
 * sealed with, rather than later with garbage. The first start records a sealed check value; a
 * database from before that check is tested against a secret it already holds.
 */
export async function verifySecretKey (db: PrismaClient, box: SecretBox): Promise<void> {
  const check = await db.setting.findUnique({ where: { key: CHECK_KEY } })
  if (check !== null) {
    if (!opens(box, check.value)) throw new WrongSecretKeyError()
    return
  }
  const existing = await db.backend.findFirst({ select: { credentials: true } })
  if (existing !== null && !opens(box, existing.credentials)) throw new WrongSecretKeyError()
  // Two servers starting at once on an empty database both get here: the first check value
  // written wins, and each server verifies its key against that one.
  await db.$executeRaw`INSERT INTO settings (key, value, updated_at) VALUES (${CHECK_KEY}, ${box.seal(CHECK_TEXT)}, now()) ON CONFLICT (key) DO NOTHING`
  const written = await db.setting.findUniqueOrThrow({ where: { key: CHECK_KEY } })
  if (!opens(box, written.value)) throw new WrongSecretKeyError()
}

/** Re-seals every secret at rest with a new key, in one transaction. */
export async function resealSecrets (db: PrismaClient, from: SecretBox, to: SecretBox): Promise<{ backends: number, machines: number, keys: number }> {
  return db.$transaction(async (tx) => {
    const check = await tx.setting.findUnique({ where: { key: CHECK_KEY } })
    if (check !== null && !opens(from, check.value)) throw new Error('STRATUS_OLD_SECRET_KEY does not open this database\'s secrets')
    const backends = await tx.backend.findMany({ select: { id: true, credentials: true } })
    for (const row of backends) await tx.backend.update({ where: { id: row.id }, data: { credentials: to.seal(from.open(row.credentials)) } })
    const machines = await tx.machine.findMany({ where: { adminPassword: { not: null } }, select: { id: true, adminPassword: true } })
    for (const row of machines) await tx.machine.update({ where: { id: row.id }, data: { adminPassword: to.seal(from.open(row.adminPassword!)) } })
    const keys = await tx.key.findMany({ where: { privateKey: { not: null } }, select: { id: true, privateKey: true } })
    for (const row of keys) await tx.key.update({ where: { id: row.id }, data: { privateKey: to.seal(from.open(row.privateKey!)) } })
    await tx.setting.upsert({ where: { key: CHECK_KEY }, create: { key: CHECK_KEY, value: to.seal(CHECK_TEXT) }, update: { value: to.seal(CHECK_TEXT) } })
    return { backends: backends.length, machines: machines.length, keys: keys.length }
  }, { timeout: 600_000 })
}
