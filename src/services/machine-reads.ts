import type { Sql } from '../db/sql.ts'
import type { MachineState } from '../domain/machine-states.ts'
import type { Principal } from './token-verifier.ts'
import { ownedBy } from './lookup.ts'

/**
 * The machine API's two hot reads, as prepared SQL: a machine's details by id, and the list by
 * state. Everything else goes through Prisma. The columns here are those the representations
 * in src/representations/gate-machine.ts need, nothing more.
 */
export interface MachineDetailsRow {
  id: number
  name: string
  state: MachineState
  kind: string
  hourlyPrice: string | null
  currency: string | null
  lastTransition: Date
  publicUrl: string | null
  adminPassword: string | null
}

export interface MachineSummaryRow { id: number, state: MachineState }

const DETAILS = {
  name: 'machine-details',
  text: `SELECT id, name, state::text AS state, kind, hourly_price::text AS "hourlyPrice", currency,
    last_transition AS "lastTransition", public_url AS "publicUrl", admin_password AS "adminPassword"
    FROM machines WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2)`
}

// The states go in as one array literal typed machine_state[], cast once per query. (A text[]
// parameter cast to machine_state[] is re-cast for every row, since enum input is only STABLE:
// 16.7 ms instead of 2.9 ms over 10,000 machines. PGlite cannot serialize a JS array for an
// enum array type, so the literal is built here; states are enum labels, never user text.)
const SUMMARIES = {
  name: 'machine-summaries',
  text: 'SELECT id, state FROM machines WHERE state = ANY($1::machine_state[]) AND ($2::text IS NULL OR owner_id = $2) ORDER BY id'
}

/** The owner to filter by, as ownedBy() decides it: null for an admin, who sees every machine. */
const ownerFilter = (user: Principal): string | null => ownedBy(user).ownerId ?? null

export async function readMachineDetails (sql: Sql, user: Principal, id: number): Promise<MachineDetailsRow | undefined> {
  const [row] = await sql.query<MachineDetailsRow>(DETAILS, [id, ownerFilter(user)])
  return row
}

export const readMachineSummaries = (sql: Sql, user: Principal, states: readonly MachineState[]): Promise<MachineSummaryRow[]> =>
  sql.query<MachineSummaryRow>(SUMMARIES, [`{${states.join(',')}}`, ownerFilter(user)])
