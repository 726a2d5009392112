// The API as it ships, on the bench database. Request logging is off (warn), as for the baseline,
// unless BENCH_LOG_LEVEL says otherwise; logs then go to /dev/null with synchronous writes, as
// pino writes to stdout by default, so that what is measured is the cost of making each line.
import { openSync, writeSync } from 'node:fs'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'

const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn'
const devNull = openSync('/dev/null', 'w')
const app = await buildApp({ ...loadConfig(), logLevel }, { logStream: { write: (line: string) => { writeSync(devNull, line) } } })
const address = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`LISTENING ${address}`)
process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
