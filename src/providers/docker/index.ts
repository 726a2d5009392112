import { cloudPlugin } from '../kit/cloud-plugin.ts'
import { DeferredDriver } from '../kit/deferred-driver.ts'
import { ProviderError } from '../provider-error.ts'
import { isAllowed, parseDockerHost, readAllowedHosts } from './allowed-hosts.ts'
import { DOCKER_CREDENTIALS, DOCKER_SETTINGS } from './fields.ts'
import { DockerMachineFields, validateDockerMachine } from './machine-fields.ts'

/** Containers of one Docker engine as machines, through dockerode. */
export default cloudPlugin('docker', {}, (_endpoints, _app, env) => {
  // Read at start: an entry that is not exactly one of the two forms stops the server.
  const allowed = readAllowedHosts(env.DOCKER_ALLOWED_HOSTS)
  /** Why this host may not be used, or null: checked at add and at every change, before any connection. */
  const refusal = (text: string): string | null => {
    const host = parseDockerHost(text)
    if (host === null) return `host "${text}" is not unix:///absolute/path or tcp://IP:PORT`
    if (!isAllowed(host, allowed)) return `host "${text}" is not allowed by this server (its operator names the Docker hosts it may use in DOCKER_ALLOWED_HOSTS${allowed.length === 0 ? ', which is empty' : ''})`
    return null
  }
  return {
    title: 'Docker',
    machineKind: 'container',
    credentials: DOCKER_CREDENTIALS,
    settings: DOCKER_SETTINGS,
    machineFields: DockerMachineFields,
    validateMachine: validateDockerMachine,
    needsKey: false,
    needsLocation: false,
    adminOnly: true,
    priceSource: 'none: a container costs nothing of its own (size default, price 0); its host is billed wherever it runs',
    validate: (credentials, settings) => {
      const problems = [refusal(String(settings.host))].filter((problem) => problem !== null)
      if ((credentials.cert === undefined) !== (credentials.key === undefined)) problems.push('cert and key go together (TLS client authentication)')
      if (String(settings.host).startsWith('unix:') && Object.keys(credentials).length > 0) problems.push('TLS material applies to tcp:// hosts only')
      return problems
    },
    connect: (backend) => {
      // Checked again for stored backends: an operator may have narrowed the list since they were added.
      const host = parseDockerHost(String(backend.settings.host))
      if (host === null || !isAllowed(host, allowed)) throw new ProviderError('invalid-request', `docker: ${refusal(String(backend.settings.host)) ?? 'host refused'}`)
      // dockerode is loaded with the driver, at a backend's first call (kit/deferred-driver.ts).
      return new DeferredDriver({ followsOperations: false, tags: false }, async () => new (await import('./docker-driver.ts')).DockerDriver(backend, host))
    }
  }
})
