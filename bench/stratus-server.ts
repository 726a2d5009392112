// The API as it ships, on the bench database. Request logging is off (warn), as for the baseline,
// unless BENCH_LOG_LEVEL says otherwise; logs then go to /dev/null with synchronous writes, as
// pino writes to stdout by default, so that what is measured is the cost of making each line.
import { openSync, writeSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'

const logLevel = process.env.BENCH_LOG_LEVEL ?? 'warn'
const devNull = openSync('/dev/null', 'w')
const app = await buildApp({ ...loadConfig(), logLevel }, { logStream: { write: (line: string) => { writeSync(devNull, line) } } })
const address = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`LISTENING ${address}`)
process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
// SIGUSR2: the event loop's delay since the last ask, in ms (bench/many-backends.ts reads it).
const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()
// With --expose-gc (bench/many-backends.ts starts it so), garbage is collected first, so that the
// resident set it reports is what is kept, not what is waiting for a collection.
process.on('SIGUSR2', () => {
  const { p99, max } = { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 }
  ;(globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage(); if (process.env.BENCH_MEMORY_DETAIL) console.error(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v / 1048576)]))))
  console.log(`LOOPDELAY ${JSON.stringify({ p99, max, rssMb: m.rss / 1048576, heapMb: m.heapUsed / 1048576 })}`)
  delay.reset()
})
