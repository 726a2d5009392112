import type { Static } from '@sinclair/typebox'
import type { Machine } from '../generated/prisma/client.ts'
import { isValidNow, type MachineAction } from '../domain/lifecycle.ts'
import { canEver, type ProviderDriver } from '../providers/driver.ts'
import type { BillingRule } from '../domain/billing-rules.ts'
import type { MistMachine, MistMachineCreated } from '../schemas/mist-machine.ts'
import type { MistMachineJsonRow } from '../services/machine-reads.ts'
import { isCapability, JSON_LAYOUT, MIST_MACHINE_FIELDS, type MistMachineRow } from './mist-machine-fields.ts'

const can = (machine: Pick<Machine, 'state' | 'size' | 'image'>, driver: Pick<ProviderDriver, 'supports'>, action: MachineAction | null): boolean =>
  action === null ? machine.state !== 'terminated' : isValidNow(machine.state, action) && canEver(driver, machine, action)

/** A machine as the backends API shows it (the fields and their order: MIST_MACHINE_FIELDS). */
export function toMistMachine (machine: MistMachineRow, driver: Pick<ProviderDriver, 'supports'>, rule: BillingRule): Static<typeof MistMachine> {
  const shown: Record<string, unknown> = {}
  for (const field of MIST_MACHINE_FIELDS) shown[field.key] = isCapability(field) ? can(machine, driver, field.action) : field.value(machine, rule)
  return shown as Static<typeof MistMachine>
}

/** The same list as JSON text, from rows whose recorded fields PostgreSQL wrote as JSON (readBackendMachinesJson). */
export function toMistMachineListJson (rows: readonly MistMachineJsonRow[], driver: Pick<ProviderDriver, 'supports'>): string {
  return `[${rows.map((row) => `{${JSON_LAYOUT.map((item) =>
    'part' in item ? row[`part${item.part}`] : `"${item.key}":${can(row, driver, item.action)}`).join(',')}}`).join(',')}]`
}

export const toMistMachineCreated = (machine: Machine): Static<typeof MistMachineCreated> => ({
  public_ips: machine.publicIps,
  extra: machine.extra as Record<string, unknown>,
  id: machine.providerId,
  private_ips: machine.privateIps,
  name: machine.name,
  uuid: machine.uuid,
  machine_api_id: machine.id
})
