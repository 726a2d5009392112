import t from 'tap'
import { finalStateOf, GATE_CONTROL_ACTIONS, isValidNow, MACHINE_ACTIONS, transitionalStateOf } from '../../src/domain/lifecycle.ts'
import { GATE_STATE_OF, isTransitional, MACHINE_STATES, machineStatesFor } from '../../src/domain/machine-states.ts'

t.test('every backends-API state maps onto one machine-API state', async (t) => {
  for (const state of MACHINE_STATES) t.ok(GATE_STATE_OF[state], state)
  t.same(machineStatesFor(['active']), ['running'])
  t.same(machineStatesFor(['inactive']).sort(), ['error', 'stopped', 'suspended'])
  t.same(machineStatesFor(['stopping']).sort(), ['destroying', 'stopping'])
  t.same(machineStatesFor(['destroyed']), ['terminated'])
})

t.test('the machine API\'s valid states: start from inactive, stop from active', async (t) => {
  for (const state of MACHINE_STATES) {
    const gate = GATE_STATE_OF[state]
    if (gate === 'inactive') t.ok(isValidNow(state, GATE_CONTROL_ACTIONS.start), `start from ${state}`)
    else t.notOk(isValidNow(state, GATE_CONTROL_ACTIONS.start), `no start from ${state}`)
    t.equal(isValidNow(state, GATE_CONTROL_ACTIONS.stop), gate === 'active', `stop from ${state}`)
  }
})

t.test('no action is valid in a transitional or destroyed state', async (t) => {
  for (const state of MACHINE_STATES.filter((s) => isTransitional(s) || s === 'terminated')) {
    for (const action of MACHINE_ACTIONS) t.notOk(isValidNow(state, action), `${action} from ${state}`)
  }
})

t.test('each action records a transitional state and ends in a settled one', async (t) => {
  for (const action of MACHINE_ACTIONS) {
    t.ok(isTransitional(transitionalStateOf(action)), action)
    t.notOk(isTransitional(finalStateOf(action)), action)
  }
})
