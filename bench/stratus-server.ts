// The API as it ships, on the bench database; request logging off, as for the baseline.
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'

const app = await buildApp({ ...loadConfig(), logLevel: 'warn' })
const address = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`LISTENING ${address}`)
process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
