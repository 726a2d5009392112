import type { CallOptions } from '../kit/call-with-retries.ts'
import { ProviderError } from '../provider-error.ts'
import type { AzureClients } from './connection.ts'

const READ: CallOptions = { idempotent: true }
const VNET = 'stratus-vnet'
/** How often our own short operations (network parts) are polled when Azure gives no Retry-After. */
export const LRO_POLL_MS = 500

/** The driver's way of calling Azure (its policy, its throttle, its clients). */
export type AzureCall = <T>(options: CallOptions, attempt: (signal: AbortSignal, azure: AzureClients) => Promise<T>) => Promise<T>

/** What a VM's network needs: its NIC, and how to remove the parts if the VM is never made. */
export interface NetworkParts { nicId: string, remove: () => Promise<void> }

/**
 * The network a backend's VMs sit in, through @azure/arm-network: one virtual network per
 * resource group (made on first use), and for each VM a static public IP and a NIC. Each part is
 * made deletable with its VM (deleteOption), so destroying the VM leaves nothing billing.
 */
export class AzureNetwork {
  constructor (
    private readonly call: AzureCall,
    private readonly group: string,
    private readonly region: string
  ) {}

  /** A public IP and a NIC for VM `name`; parts made before a refusal are deleted at once. */
  async partsFor (name: string, tags: Record<string, string>): Promise<NetworkParts> {
    const subnet = await this.#subnet()
    const wait = { updateIntervalInMs: LRO_POLL_MS }
    const ip = await this.call(READ, async (abortSignal, azure) => azure.network.publicIPAddresses.createOrUpdate(this.group, `${name}-ip`, {
      location: this.region, tags, sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static', deleteOption: 'Delete'
    }, { ...wait, abortSignal }))
    const removeIp = () => this.call(READ, async (abortSignal, azure) => azure.network.publicIPAddresses.delete(this.group, `${name}-ip`, { abortSignal }))
    let nic
    try {
      nic = await this.call(READ, async (abortSignal, azure) => azure.network.networkInterfaces.createOrUpdate(this.group, `${name}-nic`, {
        location: this.region,
        tags,
        ipConfigurations: [{ name: 'ipconfig1', subnet: { id: subnet }, publicIPAddress: { id: ip.id, deleteOption: 'Delete' } }]
      }, { ...wait, abortSignal }))
    } catch (error) {
      if (error instanceof ProviderError && error.certainlyNotDone) await removeIp().catch(() => {})
      throw error
    }
    return {
      nicId: nic.id!,
      remove: async () => {
        await this.call(READ, async (abortSignal, azure) => azure.network.networkInterfaces.delete(this.group, `${name}-nic`, { abortSignal })).catch(() => {})
        await removeIp().catch(() => {})
      }
    }
  }

  /** The backend's virtual network (made on first use) and its default subnet. */
  async #subnet (): Promise<string> {
    try {
      const vnet = await this.call(READ, async (abortSignal, azure) => azure.network.virtualNetworks.get(this.group, VNET, { abortSignal }))
      const subnet = vnet.subnets?.find((candidate) => candidate.name === 'default')?.id
      if (subnet !== undefined) return subnet
    } catch (error) {
      if (!(error instanceof ProviderError && error.failure === 'not-found')) throw error
    }
    const vnet = await this.call(READ, async (abortSignal, azure) => azure.network.virtualNetworks.createOrUpdate(this.group, VNET, {
      location: this.region, addressSpace: { addressPrefixes: ['10.42.0.0/16'] }, subnets: [{ name: 'default', addressPrefix: '10.42.0.0/24' }]
    }, { updateIntervalInMs: LRO_POLL_MS, abortSignal }))
    const subnet = vnet.subnets?.find((candidate) => candidate.name === 'default')?.id
    if (subnet === undefined) throw new ProviderError('server-error', `azure: virtual network ${VNET} has no default subnet`)
    return subnet
  }
}
