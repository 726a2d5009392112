import type Docker from 'dockerode'
import type { ProviderLog, ProviderMachine } from '../driver.ts'
import { stateOf } from '../kit/status-table.ts'
import type { DockerHost } from './allowed-hosts.ts'
import { CLIENT_TOKEN_LABEL, NAME_LABEL } from './names.ts'
import { CONTAINER_STATES } from './states.ts'

const ANY = new Set(['0.0.0.0', '::', ''])

/**
 * A container as a listed machine. Its id is the engine's (64 hex); its name, the name it was
 * created with. Published ports are where it is reachable: on the engine's own address for a TCP
 * engine (a port bound to every address), on the address a port is bound to otherwise.
 */
export function presentContainer (container: Docker.ContainerInfo, host: DockerHost, log: ProviderLog): ProviderMachine {
  const labels = container.Labels ?? {}
  const published = (container.Ports ?? []).filter((port) => port.PublicPort !== undefined && port.PublicPort !== 0)
  const addresses = [...new Set(published.map((port) => ANY.has(port.IP ?? '') ? (host.kind === 'tcp' ? host.ip : '') : port.IP!).filter((ip) => ip !== ''))]
  const first = published.find((port) => port.Type === 'tcp')
  const url = addresses[0] === undefined || first === undefined ? null : `http://${addresses[0].includes(':') ? `[${addresses[0]}]` : addresses[0]}:${first.PublicPort}`
  const name = (container.Names?.[0] ?? container.Id).replace(/^\//, '')
  return {
    id: container.Id,
    name: labels[NAME_LABEL] ?? name,
    state: stateOf('docker', CONTAINER_STATES, container.State ?? '', log),
    providerState: container.State ?? '',
    size: 'default',
    image: container.Image ?? null,
    location: 'engine',
    publicIps: addresses,
    privateIps: Object.values(container.NetworkSettings?.Networks ?? {}).map((network) => network.IPAddress).filter((ip) => ip !== undefined && ip !== ''),
    publicUrl: url,
    clientToken: labels[CLIENT_TOKEN_LABEL] ?? null,
    extra: {
      container_name: name,
      image: container.Image ?? null,
      image_id: container.ImageID ?? null,
      command: container.Command ?? null,
      created: container.Created === undefined ? null : new Date(container.Created * 1000).toISOString(),
      state: container.State ?? null,
      ports: published.map((port) => `${port.IP ?? ''}:${port.PublicPort}->${port.PrivatePort}/${port.Type}`),
      labels
    }
  }
}
