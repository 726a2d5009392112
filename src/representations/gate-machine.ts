import type { Static } from '@sinclair/typebox'
import { GATE_STATE_OF, type MachineState } from '../domain/machine-states.ts'
import { priceNumber } from '../domain/pricing.ts'
import type { SecretBox } from '../domain/secret-box.ts'
import type { GateMachine, GateMachineSummary } from '../schemas/gate-machine.ts'
import type { MachineDetailsRow } from '../services/machine-reads.ts'

export const toGateSummary = (machine: { id: number, state: MachineState }, baseUrl: string): Static<typeof GateMachineSummary> => ({
  id: machine.id,
  url: `${baseUrl}/api/machine/${machine.id}`,
  state: GATE_STATE_OF[machine.state]
})

/** A machine as the machine API details it: publicUrl only while active. */
export function toGateMachine (machine: Omit<MachineDetailsRow, 'hourlyPrice'> & { hourlyPrice: { toString(): string } | null }, secrets: SecretBox): Static<typeof GateMachine> {
  const state = GATE_STATE_OF[machine.state]
  return {
    id: machine.id,
    name: machine.name,
    state,
    hourlyPrice: priceNumber(machine.hourlyPrice),
    currency: machine.currency,
    lastTransition: machine.lastTransition.toISOString(),
    ...(state === 'active' && machine.publicUrl !== null ? { publicUrl: machine.publicUrl } : {}),
    // The last transition of an active machine is the one that made it active (boot or reboot).
    ...(state === 'active' ? { launchTime: machine.lastTransition.toISOString() } : {}),
    kind: machine.kind,
    adminPassword: machine.adminPassword === null ? null : secrets.open(machine.adminPassword)
  }
}
