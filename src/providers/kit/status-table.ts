import type { MachineState } from '../../domain/machine-states.ts'
import type { ProviderLog } from '../driver.ts'

const reported = new Set<string>()

/**
 * A cloud's status through its provider's documented table. A status the table does not know
 * (the cloud added one) is shown as `unknown` and logged once per process, never a crash.
 */
export function stateOf (provider: string, table: Readonly<Record<string, MachineState>>, status: string, log: ProviderLog): MachineState {
  const state = Object.hasOwn(table, status) ? table[status] : undefined
  if (state !== undefined) return state
  const key = `${provider}\u0000${status}`
  if (!reported.has(key)) {
    reported.add(key)
    log.warn({ provider, status }, 'cloud status not in the provider\'s state table; shown as unknown')
  }
  return 'unknown'
}
