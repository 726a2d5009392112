import type { protos } from '@google-cloud/compute'
import type { ProviderLog, ProviderMachine } from '../driver.ts'
import { stateOf } from '../kit/status-table.ts'
import { cloudTime } from '../kit/cloud-time.ts'
import { lastSegment, machineIdOf } from './catalog.ts'
import { CLIENT_TOKEN_LABEL, tagOf } from './names.ts'
import { INSTANCE_STATES } from './states.ts'

type Instance = protos.google.cloud.compute.v1.IInstance

/**
 * An instance as a listed machine. Its name is the name it was created with: the instance name,
 * or, for an instance Stratus made under a name GCE would not take, the original kept in its
 * description. Labels are its tags (our client-token label left out).
 */
export function presentInstance (instance: Instance, log: ProviderLog): ProviderMachine {
  const zone = lastSegment(instance.zone) ?? ''
  const name = String(instance.name)
  const labels = instance.labels ?? {}
  const clientToken = labels[CLIENT_TOKEN_LABEL] ?? null
  const status = instance.status ?? ''
  const interfaces = instance.networkInterfaces ?? []
  return {
    id: machineIdOf(zone, name),
    name: clientToken !== null && (instance.description ?? '') !== '' ? String(instance.description) : name,
    state: stateOf('gce', INSTANCE_STATES, status, log),
    providerState: status,
    providerStateAt: cloudTime(status === 'RUNNING' ? instance.lastStartTimestamp : status === 'TERMINATED' ? instance.lastStopTimestamp : status === 'SUSPENDED' ? instance.lastSuspendedTimestamp : null),
    size: lastSegment(instance.machineType),
    image: null,
    location: zone === '' ? null : zone,
    publicIps: interfaces.flatMap((nic) => (nic.accessConfigs ?? []).map((access) => access.natIP ?? '')).filter((ip) => ip !== ''),
    privateIps: interfaces.map((nic) => nic.networkIP ?? '').filter((ip) => ip !== ''),
    publicUrl: null,
    clientToken,
    tags: Object.entries(labels).filter(([key]) => key !== CLIENT_TOKEN_LABEL).map(([key, value]) => tagOf(key, value)).sort(),
    extra: {
      id: instance.id === null || instance.id === undefined ? null : String(instance.id),
      zone,
      machineType: lastSegment(instance.machineType),
      status,
      statusMessage: instance.statusMessage ?? null,
      creationTimestamp: instance.creationTimestamp ?? null,
      description: instance.description ?? null,
      cpuPlatform: instance.cpuPlatform ?? null,
      labels,
      network: interfaces.map((nic) => lastSegment(nic.network)).filter((network) => network !== null),
      selfLink: instance.selfLink ?? null
    }
  }
}
