import type { Static } from '@sinclair/typebox'
import type { Machine } from '../generated/prisma/client.ts'
import { isValidNow, type MachineAction } from '../domain/lifecycle.ts'
import type { ProviderDriver } from '../providers/driver.ts'
import type { MistMachine, MistMachineCreated } from '../schemas/mist-machine.ts'
import type { MistMachineJsonRow, MistMachineRow } from '../services/machine-reads.ts'

type Capabilities = Pick<Static<typeof MistMachine>, 'can_start' | 'can_reboot' | 'can_stop' | 'can_destroy' | 'can_tag'>

/** can_* say what is possible now, at this provider. */
function capabilities (machine: Pick<Machine, 'state' | 'size' | 'image'>, driver: Pick<ProviderDriver, 'supports'>): Capabilities {
  const can = (action: MachineAction): boolean => isValidNow(machine.state, action) && driver.supports(machine, action)
  return { can_start: can('start'), can_reboot: can('reboot'), can_stop: can('shutdown'), can_destroy: can('destroy'), can_tag: machine.state !== 'terminated' }
}

/** A machine as the backends API shows it. */
export function toMistMachine (machine: MistMachineRow, driver: Pick<ProviderDriver, 'supports'>): Static<typeof MistMachine> {
  const can = capabilities(machine, driver)
  return {
    can_start: can.can_start,
    can_reboot: can.can_reboot,
    uuid: machine.uuid,
    name: machine.name,
    tags: machine.tags,
    can_stop: can.can_stop,
    can_destroy: can.can_destroy,
    extra: machine.lastError === null ? machine.extra as Record<string, unknown> : { ...machine.extra as Record<string, unknown>, last_error: machine.lastError },
    public_ips: machine.publicIps,
    private_ips: machine.privateIps,
    imageId: machine.image,
    state: machine.state,
    can_tag: can.can_tag,
    id: machine.providerId,
    size: machine.size
  }
}

/** The same list as JSON text, from rows whose fields PostgreSQL wrote as JSON (readBackendMachinesJson). */
export function toMistMachineListJson (rows: readonly MistMachineJsonRow[], driver: Pick<ProviderDriver, 'supports'>): string {
  return `[${rows.map((row) => {
    const can = capabilities(row, driver)
    return `{"can_start":${can.can_start},"can_reboot":${can.can_reboot},${row.head},"can_stop":${can.can_stop},"can_destroy":${can.can_destroy},${row.body},"can_tag":${can.can_tag},${row.tail}}`
  }).join(',')}]`
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
