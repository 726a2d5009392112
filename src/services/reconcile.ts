import type { Machine, PrismaClient, TransitionCause } from '../generated/prisma/client.ts'
import type { ProviderMachine } from '../providers/driver.ts'
import { applyTransition } from './transitions.ts'

/**
 * Brings one machine record in line with what its provider reports: a different state becomes
 * a transition (conditional on the state we read, so a concurrent action wins over stale news);
 * a machine the provider no longer knows is terminated.
 */
export async function reconcile (db: PrismaClient, machine: Machine, observed: ProviderMachine | null, cause: TransitionCause): Promise<Machine> {
  const to = observed?.state ?? 'terminated'
  const patch = observed === null
    ? { publicIps: [], privateIps: [] }
    : { publicIps: observed.publicIps, privateIps: observed.privateIps, publicUrl: observed.publicUrl, extra: observed.extra as object }
  if (to !== machine.state) {
    const changed = await applyTransition(db, {
      machineId: machine.id,
      from: [machine.state],
      to,
      cause,
      detail: observed === null ? 'the provider no longer knows the machine' : undefined,
      patch
    })
    return changed?.machine ?? machine
  }
  if (observed !== null && !sameDetails(machine, observed)) {
    await db.machine.updateMany({ where: { id: machine.id, state: machine.state }, data: patch })
    return { ...machine, ...patch } as Machine
  }
  return machine
}

const sameDetails = (machine: Machine, observed: ProviderMachine): boolean =>
  machine.publicUrl === observed.publicUrl &&
  JSON.stringify(machine.publicIps) === JSON.stringify(observed.publicIps) &&
  JSON.stringify(machine.privateIps) === JSON.stringify(observed.privateIps) &&
  canonical(machine.extra) === canonical(observed.extra)

/**
 * JSON with object keys sorted: PostgreSQL's jsonb keeps keys in its own order, so the stored
 * details never read back in the provider's order, and a plain comparison would rewrite every
 * machine on every pass.
 */
function canonical (value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => inner !== null && typeof inner === 'object' && !Array.isArray(inner)
    ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
    : inner)
}
