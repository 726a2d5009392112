import { GATE_CONTROL_ACTIONS, type MachineAction } from './lifecycle.ts'
import { GATE_STATE_OF, type MachineState } from './machine-states.ts'

/**
 * Each dialect's words for states and actions, so that its refusals (409 invalid-state,
 * 422 action-not-supported) speak the dialect the client used: `state: "active"` and
 * `allowed_actions: ["stop"]` in the machine API, `running` and `shutdown` in the backends API.
 */
export interface Vocabulary {
  state(state: MachineState): string
  action(action: MachineAction): string
  /** The given actions in this dialect, those it has no word for left out. */
  actions(actions: readonly MachineAction[]): string[]
}

export const BACKENDS_API: Vocabulary = {
  state: (state) => state,
  action: (action) => action,
  actions: (actions) => [...actions]
}

const GATE_WORD_OF = new Map<MachineAction, string>(Object.entries(GATE_CONTROL_ACTIONS).map(([word, action]) => [action, word]))

export const MACHINE_API: Vocabulary = {
  state: (state) => GATE_STATE_OF[state],
  action: (action) => GATE_WORD_OF.get(action) ?? action,
  actions: (actions) => actions.flatMap((action) => GATE_WORD_OF.get(action) ?? [])
}
