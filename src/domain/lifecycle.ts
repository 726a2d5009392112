import type { MachineState } from './machine-states.ts'

/**
 * The lifecycle state machine: which action is valid in which state, and which transitional
 * state it records at once. Two different refusals exist and clients can tell them apart:
 * "not now" (the state forbids it: 409) and "never" (the provider cannot do it: 422).
 */
export const MACHINE_ACTIONS = ['start', 'shutdown', 'reboot', 'destroy'] as const
export type MachineAction = (typeof MACHINE_ACTIONS)[number]

interface Rule { readonly from: ReadonlySet<MachineState>, readonly via: MachineState, readonly to: MachineState }

const RULES: Readonly<Record<MachineAction, Rule>> = {
  start: { from: new Set(['stopped', 'suspended', 'error']), via: 'starting', to: 'running' },
  shutdown: { from: new Set(['running']), via: 'stopping', to: 'stopped' },
  reboot: { from: new Set(['running']), via: 'rebooting', to: 'running' },
  destroy: { from: new Set(['running', 'stopped', 'suspended', 'error']), via: 'destroying', to: 'terminated' }
}

/** The machine API's control actions are the backends API's start and shutdown. */
export const GATE_CONTROL_ACTIONS = { start: 'start', stop: 'shutdown' } as const satisfies Record<string, MachineAction>
export type GateControlAction = keyof typeof GATE_CONTROL_ACTIONS

export const isValidNow = (state: MachineState, action: MachineAction): boolean => RULES[action].from.has(state)

/** The states an action may start from (for the conditional update that claims the machine). */
export const validFromStates = (action: MachineAction): MachineState[] => [...RULES[action].from]

/** The transitional state recorded the moment the action is accepted. */
export const transitionalStateOf = (action: MachineAction): MachineState => RULES[action].via

/** Where the action ends when it succeeds. */
export const finalStateOf = (action: MachineAction): MachineState => RULES[action].to

/**
 * Where each transitional state normally ends: an action's, and a create's "pending" ("unknown"
 * may end anywhere). Read from the rules above, so the two cannot disagree.
 */
export const SETTLES_INTO: Readonly<Partial<Record<MachineState, MachineState>>> = Object.fromEntries([
  ['pending', 'running'],
  ...Object.values(RULES).map((rule) => [rule.via, rule.to])
])
