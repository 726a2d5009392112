import type { Machine, PrismaClient } from '../generated/prisma/client.ts'
import type { ProviderMachine } from '../providers/driver.ts'
import { canonicalJson } from '../domain/canonical-json.ts'

/** What a look at the cloud may change on a machine whose state it confirms. */
export interface DetailChange {
  machineId: number
  state: Machine['state']
  publicIps: string[]
  privateIps: string[]
  publicUrl: string | null
  extra: unknown
}

/** Whether the cloud's view of a machine differs from its record in anything but state. */
export const detailsDiffer = (machine: Machine, observed: ProviderMachine): boolean =>
  machine.missingPasses !== 0 ||
  machine.publicUrl !== observed.publicUrl ||
  JSON.stringify(machine.publicIps) !== JSON.stringify(observed.publicIps) ||
  JSON.stringify(machine.privateIps) !== JSON.stringify(observed.privateIps) ||
  canonicalJson(machine.extra) !== canonicalJson(observed.extra)

/**
 * Details that changed (IPs that appear after boot, the provider's extra), in one statement for
 * the whole pass, each conditional on the state read so a concurrent transition wins. Being seen
 * again also clears a machine's missing count.
 */
export async function applyDetails (db: PrismaClient, changes: readonly DetailChange[], at = new Date()): Promise<void> {
  if (changes.length === 0) return
  const rows = changes.map((change) => ({
    id: change.machineId, state: change.state, public_ips: change.publicIps, private_ips: change.privateIps, public_url: change.publicUrl, extra: change.extra
  }))
  await db.$executeRaw`
    UPDATE machines m SET public_ips = c.public_ips, private_ips = c.private_ips, public_url = c.public_url, extra = c.extra,
      missing_passes = 0, updated_at = ${at}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS c(id int, state machine_state, public_ips text[], private_ips text[], public_url text, extra jsonb)
    WHERE m.id = c.id AND m.state = c.state`
}

/** Machines missing from a complete listing: counted, so that two misses in a row destroy them. */
export async function countMissing (db: PrismaClient, machines: readonly Machine[]): Promise<void> {
  if (machines.length === 0) return
  await db.$executeRaw`UPDATE machines SET missing_passes = missing_passes + 1
    WHERE id = ANY(${machines.map((machine) => machine.id)}::int[]) AND state <> 'terminated'`
}
