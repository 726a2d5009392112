import type { VirtualMachine } from '@azure/arm-compute'
import type { NetworkInterface, PublicIPAddress } from '@azure/arm-network'
import type { ProviderLog, ProviderMachine } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import { stateOf } from '../kit/status-table.ts'
import { cloudTime } from '../kit/cloud-time.ts'
import { CLIENT_TOKEN_TAG } from './catalog.ts'
import { AZURE_STATES, DECISIVE_PROVISIONING } from './states.ts'

/** How an Azure VM reads as a listed machine: its state from the instance view, its id, its addresses. */

/** A VM as a listing shows it, with the addresses its NICs and public IPs give it. */
export function presentVm (vm: VirtualMachine, log: ProviderLog, addresses?: { public: string[], private: string[] }): ProviderMachine {
  // Codes as the table spells them ("PowerState/running"), whatever case Azure used.
  const codes = (vm.instanceView?.statuses ?? []).map((status) => normalise(status.code ?? ''))
  const decisive = codes.find((code) => DECISIVE_PROVISIONING.has(code))
  const power = codes.find((code) => code.startsWith('PowerState/'))
  const status = decisive ?? power ?? (vm.provisioningState === undefined ? 'PowerState/unknown' : normalise(`ProvisioningState/${vm.provisioningState}`))
  const image = vm.storageProfile?.imageReference
  const tags = vm.tags ?? {}
  const { group, name } = idOfResource(String(vm.id))
  return {
    id: `${group}~${name}`,
    name: vm.name ?? name,
    state: stateOf('azure', AZURE_STATES, status, log),
    providerState: status,
    providerStateAt: cloudTime((vm.instanceView?.statuses ?? []).find((entry) => normalise(entry.code ?? '') === status)?.time),
    size: vm.hardwareProfile?.vmSize ?? null,
    image: image?.publisher === undefined ? null : `${image.publisher}:${image.offer}:${image.sku}:${image.version ?? 'latest'}`,
    location: vm.location ?? null,
    publicIps: addresses?.public ?? [],
    privateIps: addresses?.private ?? [],
    publicUrl: null,
    clientToken: tags[CLIENT_TOKEN_TAG] ?? null,
    tags: Object.keys(tags).filter((tag) => tag !== CLIENT_TOKEN_TAG),
    extra: {
      vm_id: vm.vmId ?? null,
      resource_id: vm.id ?? null,
      resource_group: group,
      status,
      vm_size: vm.hardwareProfile?.vmSize ?? null,
      location: vm.location ?? null
    }
  }
}

/** Each VM's addresses, from the subscription's NICs and public IPs (listed once each, not per VM). */
export function addressesByVm (nics: readonly NetworkInterface[], ips: readonly PublicIPAddress[]): Map<string, { public: string[], private: string[] }> {
  const addressOf = new Map(ips.map((ip) => [String(ip.id).toLowerCase(), ip.ipAddress]))
  const addressesOf = new Map<string, { public: string[], private: string[] }>()
  for (const nic of nics) {
    const vm = nic.virtualMachine?.id?.toLowerCase()
    if (vm === undefined) continue
    const found = addressesOf.get(vm) ?? { public: [], private: [] }
    for (const configuration of nic.ipConfigurations ?? []) {
      if (configuration.privateIPAddress !== undefined) found.private.push(configuration.privateIPAddress)
      const ip = configuration.publicIPAddress?.id === undefined ? undefined : addressOf.get(configuration.publicIPAddress.id.toLowerCase())
      if (ip !== undefined) found.public.push(ip)
    }
    addressesOf.set(vm, found)
  }
  return addressesOf
}

/** An instance-view code as the table spells it ("PowerState/running"), whatever case Azure used. */
const normalise = (code: string): string => {
  const [kind = '', value = ''] = code.split('/')
  return `${kind.toLowerCase() === 'powerstate' ? 'PowerState' : 'ProvisioningState'}/${value.toLowerCase()}`
}

/** `<group>~<name>` -> the VM's resource group and name. */
export function vmOf (id: string): { group: string, name: string } {
  const [group, name, ...rest] = id.split('~')
  if (group === undefined || name === undefined || rest.length > 0 || group === '' || name === '') throw new ProviderError('not-found', `azure: no VM ${id}`)
  return { group, name }
}

export function idOfResource (id: string): { group: string, name: string } {
  const parts = id.split('/')
  const at = parts.findIndex((part) => part.toLowerCase() === 'resourcegroups')
  return { group: (parts[at + 1] ?? '').toLowerCase(), name: (parts.at(-1) ?? '').toLowerCase() }
}
