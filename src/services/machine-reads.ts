import type { Sql } from '../db/sql.ts'
import type { Machine } from '../generated/prisma/client.ts'
import type { MachineState } from '../domain/machine-states.ts'
import type { Principal } from './token-verifier.ts'
import { ownedBy } from '../domain/ownership.ts'
import { billingParameters, jsonPartsSql, type MistMachineRow } from '../representations/mist-machine-fields.ts'
import type { BillingRule } from '../domain/billing-rules.ts'

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

const BACKEND_MACHINES = {
  name: 'backend-machines',
  text: `SELECT uuid::text AS uuid, name, tags, extra, public_ips AS "publicIps", private_ips AS "privateIps", image, state::text AS state,
    provider_id AS "providerId", size, last_error AS "lastError", provider_state AS "providerState" FROM machines WHERE backend_id = $1 AND state <> 'terminated' ORDER BY id`
}

/** A backend's machines as recorded (destroyed ones left out), for a list answered without asking the cloud. */
export const readBackendMachines = (sql: Sql, backendId: string): Promise<MistMachineRow[]> => sql.query<MistMachineRow>(BACKEND_MACHINES, [backendId])

/**
 * The same machines for a JSON answer: the recorded fields as JSON text, escaped by PostgreSQL, in
 * parts between the can_* flags (which toMistMachineListJson adds), as MIST_MACHINE_FIELDS orders them.
 */
export type MistMachineJsonRow = Pick<Machine, 'state' | 'size' | 'image'> & Record<`part${number}`, string>

const BACKEND_MACHINES_JSON = {
  name: 'backend-machines-json',
  text: `SELECT state::text AS state, size, image,
    ${jsonPartsSql()}
    FROM machines WHERE backend_id = $1 AND state <> 'terminated' ORDER BY id`
}

// Every UPDATE gives a row a new xmin (the writing transaction's id), so the rows' count and the
// sum of their xmin change with any write to them, whoever made it; updated_at's maximum besides.
const BACKEND_MACHINES_VERSION = {
  name: 'backend-machines-version',
  text: `SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) || ':' || coalesce(floor(extract(epoch FROM max(updated_at)) * 1000), 0) AS version
    FROM machines WHERE backend_id = $1 AND state <> 'terminated'`
}

/** A version of a backend's listed rows: it differs after any change to them (ListDocuments). */
export const readBackendMachinesVersion = async (sql: Sql, backendId: string): Promise<string> =>
  (await sql.query<{ version: string }>(BACKEND_MACHINES_VERSION, [backendId]))[0]!.version

export const readBackendMachinesJson = (sql: Sql, backendId: string, rule: BillingRule): Promise<MistMachineJsonRow[]> =>
  sql.query<MistMachineJsonRow>(BACKEND_MACHINES_JSON, [backendId, ...billingParameters(rule)])

/** The owner to filter by, as ownedBy() decides it: null for an admin, who sees every machine. */
const ownerFilter = (user: Principal): string | null => ownedBy(user).ownerId ?? null

export async function readMachineDetails (sql: Sql, user: Principal, id: number): Promise<MachineDetailsRow | undefined> {
  const [row] = await sql.query<MachineDetailsRow>(DETAILS, [id, ownerFilter(user)])
  return row
}

export const readMachineSummaries = (sql: Sql, user: Principal, states: readonly MachineState[]): Promise<MachineSummaryRow[]> =>
  sql.query<MachineSummaryRow>(SUMMARIES, [`{${states.join(',')}}`, ownerFilter(user)])
