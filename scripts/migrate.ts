// npm run db:migrate: applies pending migrations to DATABASE_URL, or to the embedded database.
import { loadConfig } from '../src/config.ts'
import { openDatabase } from '../src/db/database.ts'
import { migrate } from '../src/db/migrate.ts'

const config = loadConfig()
const database = await openDatabase(config)
try {
  const applied = await migrate(database.runner)
  console.log(applied.length === 0 ? 'database is up to date' : `applied: ${applied.join(', ')}`)
} finally {
  await database.close()
}
