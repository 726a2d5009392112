/**
 * The two state vocabularies and the one table between them.
 *
 * Machines are stored in the backends-API (mist/libcloud) vocabulary because it is the finer one:
 * it tells a reboot from a boot and a destroy from a shutdown. The machine API's five states are
 * derived from it with GATE_STATE_OF; nothing else converts between the two.
 */
export const MACHINE_STATES = [
  'pending', 'starting', 'rebooting', 'running', 'stopping', 'destroying',
  'stopped', 'suspended', 'error', 'unknown', 'terminated'
] as const
export type MachineState = (typeof MACHINE_STATES)[number]

export const GATE_STATES = ['active', 'inactive', 'pending', 'stopping', 'destroyed'] as const
export type GateState = (typeof GATE_STATES)[number]

/** backends-API state -> machine-API state (documented in docs/api.md, "Machine states"). */
export const GATE_STATE_OF: Readonly<Record<MachineState, GateState>> = {
  pending: 'pending',
  starting: 'pending',
  rebooting: 'pending',
  unknown: 'pending',
  running: 'active',
  stopping: 'stopping',
  destroying: 'stopping',
  stopped: 'inactive',
  suspended: 'inactive',
  error: 'inactive',
  terminated: 'destroyed'
}

/** States a machine passes through on its way somewhere else; they are watched until they settle. */
export const TRANSITIONAL_STATES: ReadonlySet<MachineState> = new Set([
  'pending', 'starting', 'rebooting', 'stopping', 'destroying', 'unknown'
])

export const isTransitional = (state: MachineState): boolean => TRANSITIONAL_STATES.has(state)

/** Every backends-API state that shows as one of the given machine-API states. */
export function machineStatesFor (gateStates: readonly GateState[]): MachineState[] {
  const wanted = new Set(gateStates)
  return MACHINE_STATES.filter((state) => wanted.has(GATE_STATE_OF[state]))
}
