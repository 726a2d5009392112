import { Type } from '@sinclair/typebox'
import { xmlMapNote } from '../../schemas/common.ts'
import { SANDBOX_FAULTS, SANDBOX_OPERATIONS } from './settings.ts'
import { MACHINE_STATES } from '../../domain/machine-states.ts'

/** A sandbox backend's fields, as its branch of the backend bodies in the API document. */
export const SANDBOX_CREDENTIALS = {
  api_key: Type.String({ minLength: 1, maxLength: 4096, description: 'Any secret: the simulator accepts every key (a credential, never returned)' })
}

export const SANDBOX_SETTINGS = {
  billable_states: Type.Optional(Type.Array(Type.Union(MACHINE_STATES.filter((state) => state !== 'terminated').map((state) => Type.Literal(state))), {
    maxItems: 10, description: 'The states in which the simulator\'s machines bill, per second (default running and rebooting; docs/costs.md)'
  })),
  boot_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: 'How long a boot takes (default 2000)' })),
  stop_delay_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: 'How long a shutdown or destroy takes (default 1000)' })),
  faults: Type.Optional(Type.Record(
    Type.String({ pattern: `^(${SANDBOX_OPERATIONS.join('|')})$` }),
    Type.Union(SANDBOX_FAULTS.map((fault) => Type.Literal(fault))),
    {
      additionalProperties: false,
      // Stated in the document too (its maps are written as additionalProperties): a client
      // following it sends only these keys.
      propertyNames: { enum: [...SANDBOX_OPERATIONS] },
      description: 'Operation -> the fault it fails with, to try out how clients handle a failing cloud. ' + xmlMapNote
    }
  ))
}
