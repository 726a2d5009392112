import type { ServerResponse } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { CloudFake, sendJson, type FakeRequest } from './https-fake.ts'

/**
 * A Docker Engine (Engine API v1.47, docs.docker.com/reference/api/engine/version/v1.47) on
 * 127.0.0.1 over TCP, or on a unix socket: versioned paths (`/v1.47/…`, unversioned too, as the
 * engine answers both), `/_ping`, `/version`, `/info`, images (list, inspect, pull with its
 * progress stream), containers (create with the JSON body, inspect, start, stop, restart, pause,
 * unpause, remove with force, list with `all` and `filters`), 304 for a container already where it
 * was asked to go, 409 for a name in use or a port already allocated, and errors as `{"message"}`.
 */
export interface FakeContainer {
  id: string
  name: string
  image: string
  imageId: string
  cmd: string[]
  env: string[]
  labels: Record<string, string>
  exposed: string[]
  bindings: Record<string, Array<{ HostPort: string, HostIp?: string }>>
  state: 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead'
  created: number
  ip: string
}

interface FakeImage { Id: string, RepoTags: string[], Created: number, Size: number }

/** The backends document's Docker example names its image by id: the fake's ubuntu:24.04 has it. */
export const DOCUMENT_IMAGE_ID = 'd0955f21bf24f5bfffd32d2d0bb669d0564701c271bc3dfc64cfc5adfdec2d07'

const imageOf = (reference: string): FakeImage => ({
  Id: `sha256:${reference === 'ubuntu:24.04' ? DOCUMENT_IMAGE_ID : createHash('sha256').update(reference).digest('hex')}`, RepoTags: [reference], Created: 1_764_000_000, Size: 78_000_000
})
/** An image by a tag, its id, or its id without `sha256:` (as the engine takes them). */
const names = (image: FakeImage, reference: string): boolean => image.RepoTags.includes(reference) || image.Id === reference || image.Id === `sha256:${reference}`

export class DockerFake extends CloudFake {
  readonly containers = new Map<string, FakeContainer>()
  readonly images: FakeImage[] = [imageOf('ubuntu:24.04'), imageOf('debian:12')]
  /** What a pull can fetch (the registry): anything else is "pull access denied". */
  readonly registry = new Set(['ubuntu:24.04', 'debian:12', 'nginx:1.27', 'alpine:3.20'])
  /** An authorization plugin that denies every request (403), as one does a client it does not know. */
  denyAll = false
  #ip = 1

  protected faultBody (status: number): unknown {
    return { message: status === 429 ? 'toomanyrequests: slow down' : status === 401 ? 'authorization denied by plugin stratus-authz: unknown client' : status === 400 ? 'invalid parameter' : 'Internal Server Error' }
  }

  /** The engine has no credential of its own; the log shows which engine a request reached. */
  protected override credentialOf (): string | null { return this.origin }

  /** A container made outside Stratus (the docker CLI), running. */
  addContainer (options: { name?: string, image?: string, labels?: Record<string, string>, state?: FakeContainer['state'] } = {}): FakeContainer {
    const container = this.#make(options.name ?? `cli-${randomBytes(4).toString('hex')}`, options.image ?? 'ubuntu:24.04', ['sleep', 'infinity'], [], options.labels ?? { maintainer: 'ops' }, [], {})
    container.state = options.state ?? 'running'
    return container
  }

  #make (name: string, image: string, cmd: string[], env: string[], labels: Record<string, string>, exposed: string[], bindings: FakeContainer['bindings']): FakeContainer {
    const container: FakeContainer = {
      id: randomBytes(32).toString('hex'), name, image, imageId: this.images.find((candidate) => names(candidate, image))?.Id ?? imageOf(image).Id, cmd, env, labels, exposed, bindings, state: 'created', created: Math.floor(Date.now() / 1000), ip: `172.17.${Math.floor(this.#ip / 250)}.${this.#ip++ % 250 + 2}`
    }
    this.containers.set(container.id, container)
    return container
  }

  protected async handle (request: FakeRequest, response: ServerResponse): Promise<void> {
    if (this.denyAll) return sendJson(response, 403, { message: 'authorization denied by plugin stratus-authz: client not authorized' })
    const path = request.url.pathname.replace(/^\/v1\.\d+/, '')
    const query = request.url.searchParams
    if (path === '/_ping') { response.writeHead(200, { 'content-type': 'text/plain', 'api-version': '1.47' }); response.end('OK'); return }
    if (path === '/version') return sendJson(response, 200, { Version: '27.3.1', ApiVersion: '1.47', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64', KernelVersion: '6.8.0' })
    if (path === '/info') return sendJson(response, 200, { ID: 'FAKE', Containers: this.containers.size, Images: this.images.length, NCPU: 8, MemTotal: 16 * 1024 ** 3, Name: 'fake-engine', ServerVersion: '27.3.1' })
    if (path === '/images/json' && request.method === 'GET') return sendJson(response, 200, this.images)
    if (path === '/images/create' && request.method === 'POST') return this.#pull(response, `${query.get('fromImage') ?? ''}:${query.get('tag') ?? 'latest'}`)
    const image = /^\/images\/(.+)\/json$/.exec(path)
    if (image !== null && request.method === 'GET') {
      const found = this.images.find((candidate) => names(candidate, decodeURIComponent(image[1]!)))
      return found === undefined ? sendJson(response, 404, { message: `No such image: ${decodeURIComponent(image[1]!)}` }) : sendJson(response, 200, { ...found, RepoDigests: [] })
    }
    if (path === '/containers/json' && request.method === 'GET') return this.#list(response, query)
    if (path === '/containers/create' && request.method === 'POST') return this.#create(request, response, query.get('name'))
    const match = /^\/containers\/([^/]+)(?:\/(json|start|stop|restart|pause|unpause))?$/.exec(path)
    if (match === null) return sendJson(response, 404, { message: 'page not found' })
    const container = this.#find(decodeURIComponent(match[1]!))
    if (container === undefined) return sendJson(response, 404, { message: `No such container: ${match[1]!}` })
    const verb = match[2]
    if (verb === 'json' && request.method === 'GET') return sendJson(response, 200, this.#inspect(container))
    if (verb === undefined && request.method === 'DELETE') {
      if ((container.state === 'running' || container.state === 'paused') && query.get('force') !== 'true' && query.get('force') !== '1') {
        return sendJson(response, 409, { message: `cannot remove container "/${container.name}": container is running: stop the container before removing or force remove` })
      }
      this.containers.delete(container.id)
      response.writeHead(204); response.end(); return
    }
    if (request.method !== 'POST') return sendJson(response, 405, { message: 'method not allowed' })
    const done = () => { response.writeHead(204); response.end() }
    const notModified = () => { response.writeHead(304); response.end() }
    if (verb === 'start') {
      if (container.state === 'running' || container.state === 'paused') return notModified()
      const clash = this.#portClash(container)
      if (clash !== null) return sendJson(response, 500, { message: `driver failed programming external connectivity on endpoint ${container.name}: Bind for 0.0.0.0:${clash} failed: port is already allocated` })
      container.state = 'running'
      return done()
    }
    if (verb === 'stop') { if (container.state !== 'running' && container.state !== 'paused') return notModified(); container.state = 'exited'; return done() }
    if (verb === 'restart') { container.state = 'running'; return done() }
    if (verb === 'pause') { if (container.state !== 'running') return sendJson(response, 409, { message: `Container ${container.id} is not running` }); container.state = 'paused'; return done() }
    if (verb === 'unpause') { if (container.state !== 'paused') return sendJson(response, 500, { message: `Container ${container.id} is not paused` }); container.state = 'running'; return done() }
    return sendJson(response, 404, { message: 'page not found' })
  }

  #find (idOrName: string): FakeContainer | undefined {
    return [...this.containers.values()].find((container) => container.id === idOrName || (idOrName.length >= 12 && container.id.startsWith(idOrName)) || container.name === idOrName.replace(/^\//, ''))
  }

  #portClash (container: FakeContainer): string | null {
    const mine = Object.values(container.bindings).flat().map((binding) => binding.HostPort)
    const taken = new Set([...this.containers.values()].filter((other) => other !== container && other.state === 'running').flatMap((other) => Object.values(other.bindings).flat().map((binding) => binding.HostPort)))
    return mine.find((port) => taken.has(port)) ?? null
  }

  #pull (response: ServerResponse, reference: string): void {
    if (!this.registry.has(reference)) return sendJson(response, 404, { message: `pull access denied for ${reference.split(':')[0]!}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied` })
    response.writeHead(200, { 'content-type': 'application/json' })
    response.write(`${JSON.stringify({ status: `Pulling from library/${reference.split(':')[0]!}`, id: reference.split(':')[1] })}\n`)
    response.write(`${JSON.stringify({ status: 'Download complete', progressDetail: {}, id: 'a1b2c3d4e5f6' })}\n`)
    if (!this.images.some((image) => image.RepoTags.includes(reference))) this.images.push(imageOf(reference))
    response.end(`${JSON.stringify({ status: `Status: Downloaded newer image for ${reference}` })}\n`)
  }

  /** `all` lists every container (else running ones); `filters` {"label": ["k=v"], "id": [...], "name": [...]}. */
  #list (response: ServerResponse, query: URLSearchParams): void {
    const all = query.get('all') === '1' || query.get('all') === 'true'
    let filters: Record<string, string[]> = {}
    try { filters = JSON.parse(query.get('filters') ?? '{}') as Record<string, string[]> } catch { return sendJson(response, 400, { message: 'invalid filter' }) }
    const listed = [...this.containers.values()].filter((container) => (all || container.state === 'running') &&
      (filters.label ?? []).every((label) => { const [key, value] = label.split('='); return value === undefined ? key! in container.labels : container.labels[key!] === value }) &&
      (filters.id === undefined || filters.id.some((id) => container.id.startsWith(id))) &&
      (filters.name === undefined || filters.name.some((name) => container.name.includes(name))))
    sendJson(response, 200, listed.map((container) => ({
      Id: container.id,
      Names: [`/${container.name}`],
      Image: container.image,
      ImageID: container.imageId,
      Command: container.cmd.join(' '),
      Created: container.created,
      Ports: [
        ...container.exposed.filter((port) => container.bindings[port] === undefined || container.state !== 'running').map((port) => ({ PrivatePort: Number(port.split('/')[0]), Type: port.split('/')[1] })),
        ...(container.state === 'running' ? Object.entries(container.bindings).flatMap(([port, bindings]) => bindings.map((binding) => ({ IP: binding.HostIp ?? '0.0.0.0', PrivatePort: Number(port.split('/')[0]), PublicPort: Number(binding.HostPort), Type: port.split('/')[1] }))) : [])
      ],
      Labels: container.labels,
      State: container.state,
      Status: container.state === 'running' ? 'Up 2 seconds' : container.state === 'exited' ? 'Exited (0) 1 second ago' : container.state,
      HostConfig: { NetworkMode: 'bridge' },
      NetworkSettings: { Networks: { bridge: { IPAddress: container.state === 'running' ? container.ip : '', Gateway: '172.17.0.1', NetworkID: 'b0b1' } } },
      Mounts: []
    })))
  }

  #create (request: FakeRequest, response: ServerResponse, name: string | null): void {
    const body = request.body as { Image?: string, Cmd?: string[] | string, Env?: string[], Labels?: Record<string, string>, ExposedPorts?: Record<string, object>, HostConfig?: { PortBindings?: FakeContainer['bindings'] } }
    if (typeof body !== 'object' || body === null) return sendJson(response, 400, { message: 'invalid JSON' })
    if (name !== null && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) return sendJson(response, 400, { message: `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed` })
    const image = String(body.Image ?? '')
    if (!this.images.some((candidate) => names(candidate, image))) return sendJson(response, 404, { message: `No such image: ${image}` })
    const taken = name === null ? undefined : this.#find(name)
    if (taken !== undefined) return sendJson(response, 409, { message: `Conflict. The container name "/${name!}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.` })
    const container = this.#make(name ?? `fake_${randomBytes(3).toString('hex')}`, image, typeof body.Cmd === 'string' ? [body.Cmd] : body.Cmd ?? [], body.Env ?? [], body.Labels ?? {}, Object.keys(body.ExposedPorts ?? {}), body.HostConfig?.PortBindings ?? {})
    sendJson(response, 201, { Id: container.id, Warnings: [] })
  }

  #inspect (container: FakeContainer): unknown {
    return {
      Id: container.id,
      Name: `/${container.name}`,
      Created: new Date(container.created * 1000).toISOString(),
      State: { Status: container.state, Running: container.state === 'running' || container.state === 'paused', Paused: container.state === 'paused', Restarting: container.state === 'restarting', Dead: container.state === 'dead', ExitCode: 0 },
      Image: container.imageId,
      Config: { Image: container.image, Cmd: container.cmd, Env: container.env, Labels: container.labels, ExposedPorts: Object.fromEntries(container.exposed.map((port) => [port, {}])) },
      HostConfig: { PortBindings: container.bindings },
      NetworkSettings: { Networks: { bridge: { IPAddress: container.ip } } }
    }
  }
}
