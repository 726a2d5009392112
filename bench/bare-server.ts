// The baseline: bare Fastify + node-postgres doing the same queries as the API, no framework on top.
import Fastify from 'fastify'
import pg from 'pg'
import { GATE_STATE_OF, type MachineState } from '../src/domain/machine-states.ts'

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })
const app = Fastify()

app.get('/machine/:id', async (request) => {
  const { rows } = await pool.query(
    'SELECT id, name, state, hourly_price, currency, last_transition, public_url, kind, admin_password FROM machines WHERE id = $1',
    [Number((request.params as { id: string }).id)])
  return rows[0]
})

// The same document as GET /api/machine (same rows, same bytes): the GATE list needs absolute
// urls and the machine-API state (the project's one table of it), which triples the body over
// bare {id, state} rows.
app.get('/machines', async (request) => {
  const { rows } = await pool.query("SELECT id, state FROM machines WHERE state <> 'terminated' ORDER BY id")
  const base = `${request.protocol}://${request.host}`
  return rows.map((row) => ({ id: row.id, url: `${base}/api/machine/${row.id}`, state: GATE_STATE_OF[row.state as MachineState] }))
})

app.addHook('onClose', async () => pool.end())
const address = await app.listen({ host: '127.0.0.1', port: 0 })
console.log(`LISTENING ${address}`)
process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)) })
