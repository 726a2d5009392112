// npm run secrets:rekey: re-seals every secret at rest (credentials, admin passwords, private keys)
// from STRATUS_OLD_SECRET_KEY to STRATUS_SECRET_KEY, in one transaction. Stop the server first.
import { existsSync } from 'node:fs'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/database.ts'
import { migrate } from '../src/db/migrate.ts'
import { SecretBox } from '../src/domain/secret-box.ts'
import { loadSecretKey } from '../src/secret-key.ts'
import { resealSecrets } from '../src/services/secret-check.ts'

if (existsSync('.env')) process.loadEnvFile('.env')
const config = loadConfig()
if (process.env.STRATUS_OLD_SECRET_KEY === undefined) {
  console.error('set STRATUS_OLD_SECRET_KEY to the key the secrets are sealed with now, and STRATUS_SECRET_KEY to the new one')
  process.exit(1)
}
const from = new SecretBox(await loadSecretKey({ ...config, secretKey: process.env.STRATUS_OLD_SECRET_KEY }))
const to = new SecretBox(await loadSecretKey(config))
const database = await openDatabase(config)
try {
  await migrate(database.runner)
  const counts = await resealSecrets(database.prisma, from, to)
  console.log(`re-sealed the secrets of ${counts.backends} backends, ${counts.machines} machines and ${counts.keys} keys`)
} catch (error) {
  console.error((error as Error).message)
  process.exitCode = 1
} finally {
  await database.close()
}
