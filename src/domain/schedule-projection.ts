import type { MachineState } from './machine-states.ts'
import type { StateChange } from './machine-cost.ts'

/**
 * A machine's history as the schedules ahead would continue it, for a forecast and a schedule's
 * savings: each fire moves the state the action would (at once: the transitional states of a
 * real action last seconds and are left out), or does nothing where the action would be refused
 * (a stop of a stopped machine). The result prices like recorded history (machine-cost.ts).
 */
export interface PlannedFire { at: Date, action: 'start' | 'stop' | 'reboot' | 'destroy' }

const STARTABLE: ReadonlySet<MachineState> = new Set(['stopped', 'suspended', 'error'])
const DESTROYABLE: ReadonlySet<MachineState> = new Set(['running', 'stopped', 'suspended', 'error'])

export function projectedHistory (history: readonly StateChange[], fires: readonly PlannedFire[]): StateChange[] {
  const projected = [...history]
  const last = history.at(-1)
  if (last === undefined) return projected
  let state: MachineState = last.state
  for (const fire of [...fires].sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const next: MachineState | null = fire.action === 'start' && STARTABLE.has(state)
      ? 'running'
      : fire.action === 'stop' && state === 'running'
        ? 'stopped'
        : fire.action === 'destroy' && DESTROYABLE.has(state) ? 'terminated' : null
    if (next === null) continue
    projected.push({ state: next, at: fire.at, providerState: null })
    state = next
    if (state === 'terminated') break
  }
  return projected
}
