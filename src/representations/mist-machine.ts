import type { Static } from '@sinclair/typebox'
import type { Machine } from '../generated/prisma/client.ts'
import { isValidNow, type MachineAction } from '../domain/lifecycle.ts'
import type { ProviderDriver } from '../providers/driver.ts'
import type { MistMachine, MistMachineCreated } from '../schemas/mist-machine.ts'

/** A machine as the backends API shows it; can_* say what is possible now, at this provider. */
export function toMistMachine (machine: Machine, driver: Pick<ProviderDriver, 'supports'>): Static<typeof MistMachine> {
  const can = (action: MachineAction): boolean => isValidNow(machine.state, action) && driver.supports(machine, action)
  return {
    can_start: can('start'),
    can_reboot: can('reboot'),
    uuid: machine.uuid,
    name: machine.name,
    tags: machine.tags,
    can_stop: can('shutdown'),
    can_destroy: can('destroy'),
    extra: machine.extra as Record<string, unknown>,
    public_ips: machine.publicIps,
    private_ips: machine.privateIps,
    imageId: machine.image,
    state: machine.state,
    can_tag: machine.state !== 'terminated',
    id: machine.providerId,
    size: machine.size
  }
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
