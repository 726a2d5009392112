import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The key that seals secrets at rest: STRATUS_SECRET_KEY (base64 of 32 bytes) when given; with
 * the embedded database and no key, one created once and kept beside the data (mode 0600).
 */
export async function loadSecretKey (options: { secretKey: string | undefined, databaseUrl: string | undefined, dataDir: string }): Promise<Buffer> {
  if (options.secretKey !== undefined) {
    const key = Buffer.from(options.secretKey, 'base64')
    if (key.length !== 32) throw new Error('STRATUS_SECRET_KEY must be the base64 of exactly 32 bytes (openssl rand -base64 32)')
    return key
  }
  if (options.databaseUrl !== undefined) {
    throw new Error('STRATUS_SECRET_KEY is required with DATABASE_URL (create one with: openssl rand -base64 32)')
  }
  const file = join(options.dataDir, 'secret.key')
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  await mkdir(options.dataDir, { recursive: true })
  const key = randomBytes(32)
  await writeFile(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' })
  return key
}
