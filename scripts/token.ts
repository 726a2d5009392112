// npm run token -- <command>: users and API tokens, straight on the database the server uses
// (DATABASE_URL, or the embedded one). Tokens are printed once and kept only as hashes.
//
//   npm run token -- create <user> [--admin] [--name <token name>] [--expires-in <days>]
//       creates the user if needed, and a token for it
//   npm run token -- list <user>          the user's tokens (never their secrets)
//   npm run token -- revoke <token id>    the token stops working
//   npm run token -- users                every user
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/database.ts'
import { migrate } from '../src/db/migrate.ts'
import { Accounts } from '../src/services/accounts.ts'

if (existsSync('.env')) process.loadEnvFile('.env')
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { admin: { type: 'boolean', default: false }, name: { type: 'string' }, 'expires-in': { type: 'string' } }
})
const [command, argument] = positionals
const usage = 'usage: npm run token -- create <user> [--admin] [--name <name>] [--expires-in <days>] | list <user> | revoke <token id> | users'

const database = await openDatabase(loadConfig())
try {
  await migrate(database.runner)
  const db = database.prisma
  const accounts = new Accounts(db)
  switch (command) {
    case 'create': {
      if (argument === undefined) throw new Error(usage)
      const user = await db.user.findUnique({ where: { name: argument } }) ?? await accounts.createUser(argument, values.admin)
      const days = values['expires-in'] === undefined ? null : Number(values['expires-in'])
      if (days !== null && !(days > 0)) throw new Error('--expires-in takes a number of days')
      const expiresAt = days === null ? null : new Date(Date.now() + days * 86_400_000)
      const { token, record } = await accounts.issueToken(user.id, values.name ?? 'cli', expiresAt)
      console.log(`user ${user.name} (${user.id})${user.isAdmin ? ', administrator' : ''}`)
      console.log(`token ${record.id}${expiresAt === null ? '' : `, expires ${expiresAt.toISOString()}`}; shown this once:\n${token}`)
      break
    }
    case 'list': {
      const user = await db.user.findUnique({ where: { name: argument ?? '' }, include: { tokens: { orderBy: { createdAt: 'asc' } } } })
      if (user === null) throw new Error(`no user named ${argument}`)
      for (const token of user.tokens) {
        const state = token.revokedAt !== null ? 'revoked' : token.expiresAt !== null && token.expiresAt < new Date() ? 'expired' : 'active'
        console.log(`${token.id}  ${token.prefix}…  ${state.padEnd(7)}  ${token.name}`)
      }
      break
    }
    case 'revoke': {
      const revoked = await accounts.revokeToken(argument ?? '', { id: '', isAdmin: true })
      if (revoked === null) throw new Error(`no token ${argument}`)
      console.log(`revoked ${revoked.id}`)
      break
    }
    case 'users':
      for (const user of await db.user.findMany({ orderBy: { createdAt: 'asc' } })) console.log(`${user.id}  ${user.name}${user.isAdmin ? '  (administrator)' : ''}`)
      break
    default:
      throw new Error(usage)
  }
} catch (error) {
  console.error((error as Error).message)
  process.exitCode = 1
} finally {
  await database.close()
}
