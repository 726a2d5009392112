import type Docker from 'dockerode'
import type { MachineAction } from '../../domain/lifecycle.ts'
import type { BackendConnection, CreateMachineSpec, ProviderDriver, ProviderImage, ProviderLocation, ProviderLog, ProviderMachine, ProviderSize } from '../driver.ts'
import { ProviderError } from '../provider-error.ts'
import type { CallOptions } from '../kit/call-with-retries.ts'
import { CloudCalls } from '../kit/cloud-calls.ts'
import type { DockerHost } from './allowed-hosts.ts'
import { classify, dockerClient, notModified, type DockerTls } from './connection.ts'
import { presentContainer } from './listed-container.ts'
import { CLIENT_TOKEN_LABEL, commandWords, containerNameOf, NAME_LABEL } from './names.ts'

const READ: CallOptions = { idempotent: true }
/** How long a stop or restart lets the container's process end before the engine kills it. */
const STOP_TIMEOUT_S = 10
/** How long a create waits for a missing image to be pulled before it gives up (a 504). */
const PULL_TIMEOUT_MS = 300_000
/** The one location: a Docker engine is one place. */
const ENGINE_LOCATION = 'engine'

/** The create body's docker_* fields, as validated by their schema (machine-fields.ts). */
interface DockerFields {
  docker_env?: Record<string, string>
  docker_command?: string
  docker_exposed_ports?: Record<string, Record<string, never>>
  docker_port_bindings?: Record<string, Array<{ HostPort: string, HostIp?: string }>>
}

/**
 * The containers of one Docker engine through dockerode. A machine's id is the container's id.
 * The engine answers every call when it is done (no operations to follow) and has no rate limits;
 * calls are still bounded by the policy's timeout. A container's labels are fixed at create, so
 * there is no addTag: a tag added later is kept by Stratus alone.
 */
export class DockerDriver implements ProviderDriver {
  readonly #docker: Docker
  readonly #host: DockerHost
  readonly #calls: CloudCalls
  readonly #log: ProviderLog

  constructor (connection: BackendConnection, host: DockerHost) {
    this.#host = host
    this.#docker = dockerClient(host, connection.credentials as DockerTls)
    this.#calls = new CloudCalls(connection.policy, classify)
    this.#log = connection.log
  }

  #send<T> (options: CallOptions, request: (docker: Docker, abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return this.#calls.call(options, async (signal) => request(this.#docker, signal))
  }

  /** The engine's version: one cheap real call that fails when no engine answers there. */
  async checkCredentials (): Promise<void> {
    await this.#send(READ, async (docker, abortSignal) => docker.version({ abortSignal } as never))
  }

  /** One size, `default`: a container takes what the engine's host has (its CPUs and memory shown), and costs nothing of its own. */
  async listSizes (): Promise<ProviderSize[]> {
    const info = await this.#send(READ, async (docker, abortSignal) => docker.info({ abortSignal } as never) as unknown as Promise<unknown>) as { NCPU?: number, MemTotal?: number }
    return [{ id: 'default', name: 'default (the engine host\'s CPUs and memory, shared)', cpus: info.NCPU ?? 0, ramMb: Math.floor((info.MemTotal ?? 0) / 1048576), diskGb: 0, hourlyPrice: '0', currency: 'USD' }]
  }

  /** The images the engine has: an image's id is its first tag (ubuntu:24.04), or its id when it has none. */
  async listImages (): Promise<ProviderImage[]> {
    const images = await this.#send(READ, async (docker, abortSignal) => docker.listImages({ abortSignal }))
    return images.map((image) => {
      const tags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>')
      return { id: tags[0] ?? image.Id, name: tags.length > 0 ? tags.join(', ') : image.Id, extra: { image_id: image.Id, tags, size: image.Size, created: new Date(image.Created * 1000).toISOString() } }
    })
  }

  async listLocations (): Promise<ProviderLocation[]> {
    return [{ id: ENGINE_LOCATION, name: this.#host.kind === 'unix' ? `unix://${this.#host.path}` : `tcp://${this.#host.ip}:${this.#host.port}`, country: '' }]
  }

  /** Every container, running or not, in one call (the engine does not page). */
  async listMachines (): Promise<ProviderMachine[]> {
    const containers = await this.#send(READ, async (docker, abortSignal) => docker.listContainers({ all: true, abortSignal }))
    return containers.map((container) => presentContainer(container, this.#host, this.#log))
  }

  /**
   * The document's body as a container: docker_command as Cmd (split into words), docker_env as
   * Env, docker_exposed_ports and docker_port_bindings as they are; our uuid as a label. A create
   * sent again (a retry) finds the container by that label rather than making a second one. The
   * image is pulled first when the engine does not have it, within PULL_TIMEOUT_MS.
   */
  async createMachine (spec: CreateMachineSpec): Promise<ProviderMachine> {
    if (spec.location !== '' && spec.location !== ENGINE_LOCATION) throw new ProviderError('invalid-request', `docker: location "${spec.location}" is not this engine's (leave it out, or give "${ENGINE_LOCATION}")`)
    const fields = spec.providerFields as DockerFields
    let cmd: string[]
    try {
      cmd = commandWords(fields.docker_command ?? '')
    } catch (error) {
      throw new ProviderError('invalid-request', `docker: ${(error as Error).message}`)
    }
    const already = await this.#byToken(spec.clientToken)
    if (already !== undefined) return already
    await this.#ensureImage(spec.image)
    const name = containerNameOf(spec.name, spec.clientToken)
    const created = await this.#send({ idempotent: false }, async (docker, abortSignal) => docker.createContainer({
      name,
      Image: spec.image,
      Cmd: cmd,
      Env: Object.entries(fields.docker_env ?? {}).map(([key, value]) => `${key}=${value}`),
      ...(fields.docker_exposed_ports === undefined ? {} : { ExposedPorts: fields.docker_exposed_ports }),
      HostConfig: { ...(fields.docker_port_bindings === undefined ? {} : { PortBindings: fields.docker_port_bindings }) },
      Labels: { [CLIENT_TOKEN_LABEL]: spec.clientToken, ...(name === spec.name ? {} : { [NAME_LABEL]: spec.name }) },
      abortSignal
    }))
    await this.#send(READ, async (_docker, abortSignal) => {
      try { await created.start({ abortSignal }) } catch (error) { if (!notModified(error)) throw error }
    })
    const listed = await this.#byToken(spec.clientToken)
    if (listed === undefined) throw new ProviderError('server-error', `docker: container ${created.id} was made but is not listed`)
    return listed
  }

  async #byToken (clientToken: string): Promise<ProviderMachine | undefined> {
    const found = await this.#send(READ, async (docker, abortSignal) => docker.listContainers({ all: true, filters: { label: [`${CLIENT_TOKEN_LABEL}=${clientToken}`] }, abortSignal }))
    return found[0] === undefined ? undefined : presentContainer(found[0], this.#host, this.#log)
  }

  /** The image, pulled when the engine does not have it; the pull's end (or its error) is awaited, bounded. */
  async #ensureImage (image: string): Promise<void> {
    try {
      await this.#send(READ, async (docker) => docker.getImage(image).inspect())
      return
    } catch (error) {
      if (!(error instanceof ProviderError && error.failure === 'not-found')) throw error
    }
    const abortSignal = AbortSignal.timeout(PULL_TIMEOUT_MS)
    try {
      const stream = await this.#docker.pull(image, { abortSignal })
      await new Promise<void>((resolve, reject) => {
        this.#docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => {
          const failed = output?.find((event) => event.error !== undefined)
          if (error !== null) reject(error)
          else if (failed !== undefined) reject(Object.assign(new Error(failed.error), { statusCode: 404, json: { message: failed.error } }))
          else resolve()
        })
        abortSignal.addEventListener('abort', () => reject(Object.assign(new Error('the pull took too long'), { name: 'AbortError' })), { once: true })
      })
    } catch (error) {
      const failure = classify(error, abortSignal)
      throw failure.failure === 'not-found' ? new ProviderError('invalid-request', `docker: image "${image}" is not on the engine and could not be pulled (${failure.message})`) : failure
    }
  }

  /** start (unpause for a paused container), stop, restart, remove with force; each done when the engine answers. */
  async performAction (id: string, action: MachineAction): Promise<Record<string, never>> {
    const container = this.#docker.getContainer(id)
    const t = STOP_TIMEOUT_S
    await this.#send(READ, async (_docker, abortSignal) => {
      try {
        if (action === 'start') {
          const state = (await container.inspect({ abortSignal })).State
          await (state?.Paused === true ? container.unpause({ abortSignal }) : container.start({ abortSignal }))
        } else if (action === 'shutdown') await container.stop({ t, abortSignal })
        else if (action === 'reboot') await container.restart({ t, abortSignal })
        else await container.remove({ force: true, abortSignal })
      } catch (error) {
        // Already where it was asked to go (started, stopped): done.
        if (!notModified(error)) throw error
      }
    })
    return {}
  }
}
