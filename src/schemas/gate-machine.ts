import { Type } from '@sinclair/typebox'
import { GATE_STATES } from '../domain/machine-states.ts'
import { GATE_CONTROL_ACTIONS } from '../domain/lifecycle.ts'
import { DateTime, Name } from './common.ts'

/** The machine API's shapes, as in the GATE Cloud document. */
export const GateState = Type.Union(GATE_STATES.map((s) => Type.Literal(s)))

export const GateMachineSummary = Type.Object({
  id: Type.Integer(),
  url: Type.String({ format: 'uri' }),
  state: GateState
}, { title: 'GateMachineSummary', xml: { name: 'machine' } })

export const GateMachineList = Type.Array(GateMachineSummary, { xml: { name: 'machines' } })

export const GateMachine = Type.Object({
  id: Type.Integer({ description: 'The machine identifier' }),
  name: Type.String(),
  state: GateState,
  hourlyPrice: Type.Union([Type.Number(), Type.Null()], { description: 'Price per hour while running' }),
  currency: Type.Union([Type.String(), Type.Null()], { description: 'ISO 4217 currency of hourlyPrice' }),
  lastTransition: DateTime,
  publicUrl: Type.Optional(Type.String({ description: 'Only while the state is active' })),
  launchTime: Type.Optional({ ...DateTime, description: 'When the machine last became active; only while the state is active' }),
  kind: Type.String({ description: 'The type of machine' }),
  adminPassword: Type.Union([Type.String(), Type.Null()], { description: 'The admin password generated when the machine was created' })
}, { title: 'GateMachine', xml: { name: 'machine' } })

export const GateMachineListQuery = Type.Object({
  state: Type.Optional(Type.Array(GateState, { description: 'Repeatable; default: every state but destroyed' }))
}, { additionalProperties: false })

export const GateMachineParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2147483647 }) })

export const GateRenameBody = Type.Object({ name: Name }, { title: 'GateRename', additionalProperties: false, xml: { name: 'machine' } })

export const GateControlBody = Type.Object({
  action: Type.Union(Object.keys(GATE_CONTROL_ACTIONS).map((a) => Type.Literal(a)))
}, { title: 'GateControl', additionalProperties: false, xml: { name: 'control' } })
