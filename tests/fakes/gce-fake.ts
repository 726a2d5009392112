import type { ServerResponse } from 'node:http'
import { createHash, generateKeyPairSync, randomBytes, randomUUID, verify, type KeyObject } from 'node:crypto'
import { CloudFake, sendJson, type FakeRequest } from './https-fake.ts'

/**
 * Google Compute Engine's REST API (cloud.google.com/compute/docs/reference/rest/v1) on 127.0.0.1:
 * - every request's bearer token is a JWT signed (RS256) by a service account's key, checked
 *   against that account's public key, its audience and its expiry; a project answers only its
 *   own accounts (403 otherwise), in GCE's error document
 *   `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}`;
 * - zones, machine types, images (the project's, and public families by project), the aggregated
 *   and zonal instance lists with `maxResults` and `pageToken`;
 * - every mutation answers a zone operation (PENDING, RUNNING, then DONE, with `error` when it
 *   failed) whose effect lands when it is done; zone operation lists filtered by
 *   `(name = "…") OR …`; inserts deduplicated by `requestId`;
 * - instances going PROVISIONING -> STAGING -> RUNNING, STOPPING -> TERMINATED,
 *   SUSPENDING -> SUSPENDED, and gone once deleted; labels under a fingerprint, a stale one
 *   refused 412 `conditionNotMet`;
 * - rate quota errors as GCE sends them: 403 `rateLimitExceeded` (and 429).
 */
export interface FakeInstance {
  id: string
  name: string
  zone: string
  machineType: string
  status: string
  description: string
  labels: Record<string, string>
  labelFingerprint: string
  metadata: Array<{ key: string, value: string }>
  sourceImage: string | null
  network: string
  natIP: string
  networkIP: string
  created: string
}

interface FakeOperation { name: string, zone: string, target: string, type: string, startedAt: number, doneAt: number, error: string | null, effect: () => void, applied: boolean }

interface Project {
  id: string
  email: string
  publicKey: KeyObject
  instances: Map<string, FakeInstance>
  operations: Map<string, FakeOperation>
  requestIds: Map<string, FakeOperation>
  images: Array<Record<string, unknown>>
}

export const GCE_ZONES = [{ name: 'europe-west1-b', id: '2221' }, { name: 'europe-west1-c', id: '2222' }, { name: 'us-central1-a', id: '2000' }]

/** Machine types of every zone, as machineTypes.list shows them (ids as GCE's numeric ones). */
export const GCE_MACHINE_TYPES = [
  { name: 'e2-micro', id: '334002', guestCpus: 2, memoryMb: 1024, description: 'Efficient Instance, 2 vCPU (1/8 shared physical core) and 1 GB RAM', isSharedCpu: true },
  { name: 'e2-standard-2', id: '335002', guestCpus: 2, memoryMb: 8192, description: 'Efficient Instance, 2 vCPUs, 8 GB RAM', isSharedCpu: false },
  { name: 'n1-standard-1', id: '1000', guestCpus: 1, memoryMb: 3840, description: '1 vCPU, 3.75 GB RAM', isSharedCpu: false },
  { name: 'f1-micro', id: '1000000', guestCpus: 1, memoryMb: 614, description: '1 vCPU (shared physical core) and 0.6 GB RAM', isSharedCpu: true },
  { name: 'a9-mega-96', id: '9999', guestCpus: 96, memoryMb: 786_432, description: 'a family the price table does not hold', isSharedCpu: false }
]

/** Public images by family, two versions each: getFromFamily answers the newest that is not deprecated. */
const PUBLIC_IMAGES = [
  { project: 'debian-cloud', family: 'debian-12', name: 'debian-12-bookworm-v20261010', id: '5298942163210525400', created: '2026-10-10T00:00:00.000-07:00', deprecated: true },
  { project: 'debian-cloud', family: 'debian-12', name: 'debian-12-bookworm-v20261110', id: '5298942163210525420', created: '2026-11-10T00:00:00.000-07:00', deprecated: false },
  { project: 'ubuntu-os-cloud', family: 'ubuntu-2404-lts-amd64', name: 'ubuntu-2404-noble-amd64-v20261101', id: '7012345678901234567', created: '2026-11-01T00:00:00.000-07:00', deprecated: false },
  { project: 'rocky-linux-cloud', family: 'rocky-linux-9', name: 'rocky-linux-9-v20261020', id: '8012345678901234567', created: '2026-10-20T00:00:00.000-07:00', deprecated: false }
]

const BASE = '/compute/v1/projects/'
const AUDIENCE = 'https://compute.googleapis.com/'

export class GceFake extends CloudFake {
  readonly #projects = new Map<string, Project>()
  readonly #publicKeys = new Map<string, { key: KeyObject, project: string }>()
  /** How long an instance boots (PROVISIONING/STAGING), and how long an operation runs. */
  bootMs = 150
  operationMs = 150
  pageSize = 500
  /** The next operation of an action ends DONE with this error, changing nothing. */
  failNextOperation: { code: string, message: string } | null = null
  /** Requests whose token failed the signature check (a leak would show here). */
  readonly refusedTokens: string[] = []
  #ip = 10

  /** A new project with its service account: the backend's fields (its JSON key as a string). */
  project (): { project_id: string, zone: string, private_key: string } {
    const id = `stratus-${randomBytes(4).toString('hex')}`
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const email = `stratus@${id}.iam.gserviceaccount.com`
    this.#projects.set(id, { id, email, publicKey, instances: new Map(), operations: new Map(), requestIds: new Map(), images: [] })
    this.#publicKeys.set(email, { key: publicKey, project: id })
    const key = {
      type: 'service_account',
      project_id: id,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: email,
      client_id: String(100000000000000000000n + BigInt(Math.floor(Math.random() * 1e9))),
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token'
    }
    return { project_id: id, zone: 'europe-west1-b', private_key: JSON.stringify(key) }
  }

  /** The same project's key, replaced by another key pair the project does not know. */
  static foreignKey (fields: { private_key: string }): string {
    const key = JSON.parse(fields.private_key) as Record<string, unknown>
    return JSON.stringify({ ...key, private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) })
  }

  emailOf (project: string): string { return this.#p(project).email }

  instances (project: string): FakeInstance[] {
    this.#tick(this.#p(project))
    return [...this.#p(project).instances.values()]
  }

  instance (project: string, id: string): FakeInstance {
    const [zone, name] = id.split('~')
    return this.instances(project).find((candidate) => candidate.zone === zone && candidate.name === name)!
  }

  /** An instance made in the console: running at once. */
  addInstance (project: string, options: { name?: string, zone?: string, status?: string, labels?: Record<string, string> } = {}): FakeInstance {
    const p = this.#p(project)
    const instance: FakeInstance = {
      id: String(BigInt(`0x${randomBytes(7).toString('hex')}`)),
      name: options.name ?? `console-${randomBytes(4).toString('hex')}`,
      zone: options.zone ?? 'europe-west1-c',
      machineType: 'e2-micro',
      status: options.status ?? 'RUNNING',
      description: '',
      labels: options.labels ?? {},
      labelFingerprint: '',
      metadata: [],
      sourceImage: null,
      network: 'default',
      natIP: this.#nextIp('34.76'),
      networkIP: this.#nextIp('10.132'),
      created: new Date().toISOString()
    }
    instance.labelFingerprint = fingerprintOf(instance.labels)
    p.instances.set(`${instance.zone}~${instance.name}`, instance)
    return instance
  }

  /** An image of the project's own (images.list), as someone would make from a disk. */
  addImage (project: string, name: string, options: { deprecated?: string } = {}): void {
    this.#p(project).images.push({
      kind: 'compute#image',
      id: String(hashNumber(name)),
      name,
      creationTimestamp: new Date().toISOString(),
      architecture: 'X86_64',
      status: 'READY',
      ...(options.deprecated === undefined ? {} : { deprecated: { state: options.deprecated } }),
      selfLink: `${this.origin}${BASE}${project}/global/images/${name}`
    })
  }

  remove (project: string, id: string): void { this.#p(project).instances.delete(id) }

  /** Sets a label as someone in the console would, moving the fingerprint on. */
  setLabelOutside (project: string, id: string, key: string, value: string): void {
    const instance = this.instance(project, id)
    instance.labels = { ...instance.labels, [key]: value }
    instance.labelFingerprint = fingerprintOf(instance.labels)
  }

  /** Whether a request was signed by this project's service account. */
  isFrom (request: FakeRequest, project: string): boolean { return this.credentialOf(request) === this.#p(project).email }

  #p (project: string): Project {
    const found = this.#projects.get(project)
    if (found === undefined) throw new Error(`no project ${project}`)
    return found
  }

  #nextIp (prefix: string): string {
    this.#ip++
    return `${prefix}.${Math.floor(this.#ip / 250)}.${this.#ip % 250 + 1}`
  }

  protected faultBody (status: number): unknown {
    if (status === 429 || status === 403) return errorDocument(status, 'Rate Limit Exceeded', 'rateLimitExceeded', 'usageLimits')
    if (status === 401) return errorDocument(401, 'Request had invalid authentication credentials.', 'authError')
    if (status === 400) return errorDocument(400, 'Invalid value for field \'resource\'.', 'invalid')
    return errorDocument(status, 'Internal error. Please try again or contact Google Support.', 'backendError')
  }

  /** The service account whose JWT the request carries (its signature is checked in handle). */
  protected override credentialOf (request: FakeRequest): string | null {
    const jwt = bearer(request)
    if (jwt === null) return null
    try {
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: string }
      return claims.iss ?? null
    } catch {
      return null
    }
  }

  protected async handle (request: FakeRequest, response: ServerResponse, email: string | null): Promise<void> {
    const caller = this.#authenticate(request, email)
    if (caller === null) return sendJson(response, 401, errorDocument(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token or other valid authentication credential.', 'authError'))
    const path = request.url.pathname
    if (!path.startsWith(BASE)) return sendJson(response, 404, errorDocument(404, `The requested URL ${path} was not found on this server.`, 'notFound'))
    const [projectId = '', ...rest] = path.slice(BASE.length).split('/')
    // Public images are readable by every caller.
    if (rest[0] === 'global' && rest[1] === 'images' && rest[2] === 'family') return this.#family(response, projectId, rest[3] ?? '')
    const project = this.#projects.get(projectId)
    if (project === undefined || project.email !== caller) {
      return sendJson(response, 403, errorDocument(403, `Required 'compute.projects.get' permission for 'projects/${projectId}'`, 'forbidden'))
    }
    this.#tick(project)
    if (rest.length === 0 && request.method === 'GET') return sendJson(response, 200, { kind: 'compute#project', id: String(hashNumber(projectId)), name: projectId, quotas: [{ metric: 'CPUS', limit: 24, usage: 0 }], selfLink: `${this.origin}${BASE}${projectId}` })
    if (rest.length === 1 && rest[0] === 'zones' && request.method === 'GET') return this.#list(request, response, 'compute#zoneList', GCE_ZONES.map((zone) => ({ kind: 'compute#zone', id: zone.id, name: zone.name, status: 'UP', region: `${this.origin}${BASE}${projectId}/regions/${zone.name.replace(/-[a-z]$/, '')}` })))
    if (rest.length === 2 && rest[0] === 'global' && rest[1] === 'images' && request.method === 'GET') return this.#list(request, response, 'compute#imageList', project.images)
    if (rest[0] === 'aggregated' && rest[1] === 'instances' && request.method === 'GET') return this.#aggregated(request, response, project)
    if (rest[0] === 'zones') {
      const zone = rest[1] ?? ''
      if (!GCE_ZONES.some((known) => known.name === zone)) return sendJson(response, 404, errorDocument(404, `The resource 'projects/${projectId}/zones/${zone}' was not found`, 'notFound'))
      if (rest[2] === 'machineTypes' && rest.length === 3 && request.method === 'GET') return this.#list(request, response, 'compute#machineTypeList', GCE_MACHINE_TYPES.map((type) => ({ kind: 'compute#machineType', ...type, zone })))
      if (rest[2] === 'operations' && rest.length === 3 && request.method === 'GET') return this.#operations(request, response, project, zone)
      if (rest[2] === 'instances') return this.#instances(request, response, project, zone, rest[3], rest[4])
    }
    return sendJson(response, 404, errorDocument(404, `The requested URL ${path} was not found on this server.`, 'notFound'))
  }

  /** The caller's service account, when its JWT is signed by that account's key, for this API, and not expired. */
  #authenticate (request: FakeRequest, email: string | null): string | null {
    const jwt = bearer(request)
    if (jwt === null || email === null) return null
    const known = this.#publicKeys.get(email)
    const [header = '', payload = '', signature = ''] = jwt.split('.')
    let claims: { aud?: string, exp?: number, sub?: string }
    try { claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims } catch { return null }
    const valid = known !== undefined && verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), known.key, Buffer.from(signature, 'base64url'))
    if (!valid || claims.aud !== AUDIENCE || claims.sub !== email || (claims.exp ?? 0) * 1000 < Date.now()) {
      this.refusedTokens.push(email)
      return null
    }
    return email
  }

  #family (response: ServerResponse, project: string, family: string): void {
    const newest = PUBLIC_IMAGES.filter((image) => image.project === project && image.family === family && !image.deprecated).at(-1)
    if (newest === undefined) return sendJson(response, 404, errorDocument(404, `The resource 'projects/${project}/global/images/family/${family}' was not found`, 'notFound'))
    sendJson(response, 200, imageResource(this.origin, newest))
  }

  /** A list page: `maxResults` items from `pageToken` (an offset here, opaque to the client). */
  #list (request: FakeRequest, response: ServerResponse, kind: string, all: unknown[]): void {
    const { items, nextPageToken } = page(request, all, this.pageSize)
    sendJson(response, 200, { kind, id: 'list', items, ...(nextPageToken === undefined ? {} : { nextPageToken }), selfLink: `${this.origin}${request.url.pathname}` })
  }

  #aggregated (request: FakeRequest, response: ServerResponse, project: Project): void {
    const all = [...project.instances.values()].sort((a, b) => a.zone.localeCompare(b.zone) || a.name.localeCompare(b.name))
    const { items, nextPageToken } = page(request, all, this.pageSize)
    const scoped: Record<string, unknown> = {}
    for (const zone of GCE_ZONES) {
      const here = items.filter((instance) => instance.zone === zone.name).map((instance) => this.#resource(project, instance))
      scoped[`zones/${zone.name}`] = here.length > 0 ? { instances: here } : { warning: { code: 'NO_RESULTS_ON_PAGE', message: 'There are no results for scope \'zones/' + zone.name + '\' on this page.' } }
    }
    sendJson(response, 200, { kind: 'compute#instanceAggregatedList', id: `projects/${project.id}/aggregated/instances`, items: scoped, ...(nextPageToken === undefined ? {} : { nextPageToken }) })
  }

  #operations (request: FakeRequest, response: ServerResponse, project: Project, zone: string): void {
    const filter = request.url.searchParams.get('filter') ?? ''
    const names = [...filter.matchAll(/\(name = "([^"]+)"\)/g)].map((match) => match[1])
    if (filter !== '' && names.length === 0) return sendJson(response, 400, errorDocument(400, `Invalid value for field 'filter': '${filter}'. Invalid list filter expression.`, 'invalid'))
    const ops = [...project.operations.values()].filter((op) => op.zone === zone && (names.length === 0 || names.includes(op.name)))
    this.#list(request, response, 'compute#operationList', ops.map((op) => this.#operationResource(project, op)))
  }

  #instances (request: FakeRequest, response: ServerResponse, project: Project, zone: string, name: string | undefined, verb: string | undefined): void {
    if (name === undefined) {
      if (request.method === 'GET') return this.#list(request, response, 'compute#instanceList', [...project.instances.values()].filter((instance) => instance.zone === zone).map((instance) => this.#resource(project, instance)))
      if (request.method === 'POST') return this.#insert(request, response, project, zone)
    }
    const instance = project.instances.get(`${zone}~${name ?? ''}`)
    if (instance === undefined) return sendJson(response, 404, errorDocument(404, `The resource 'projects/${project.id}/zones/${zone}/instances/${name ?? ''}' was not found`, 'notFound'))
    if (verb === undefined && request.method === 'GET') return sendJson(response, 200, this.#resource(project, instance))
    if (verb === undefined && request.method === 'DELETE') {
      return this.#operate(response, project, instance, 'delete', () => { instance.status = 'STOPPING' }, () => { project.instances.delete(`${zone}~${instance.name}`) })
    }
    if (request.method !== 'POST') return sendJson(response, 405, errorDocument(405, 'Method not allowed', 'methodNotAllowed'))
    if (verb === 'setLabels') return this.#setLabels(request, response, project, instance)
    const notReady = (status: string) => sendJson(response, 400, errorDocument(400, `The resource 'projects/${project.id}/zones/${zone}/instances/${instance.name}' is not ready`, 'resourceNotReady', 'global', status))
    if (verb === 'start') {
      if (instance.status === 'SUSPENDED') return notReady(instance.status)
      return this.#operate(response, project, instance, 'start', () => { if (instance.status === 'TERMINATED') instance.status = 'STAGING' }, () => { instance.status = 'RUNNING' })
    }
    if (verb === 'resume') {
      if (instance.status !== 'SUSPENDED') return notReady(instance.status)
      return this.#operate(response, project, instance, 'resume', () => { instance.status = 'STAGING' }, () => { instance.status = 'RUNNING' })
    }
    if (verb === 'stop') return this.#operate(response, project, instance, 'stop', () => { if (instance.status === 'RUNNING') instance.status = 'STOPPING' }, () => { instance.status = 'TERMINATED' })
    if (verb === 'suspend') return this.#operate(response, project, instance, 'suspend', () => { instance.status = 'SUSPENDING' }, () => { instance.status = 'SUSPENDED' })
    if (verb === 'reset') {
      if (instance.status !== 'RUNNING') return notReady(instance.status)
      return this.#operate(response, project, instance, 'reset', () => {}, () => { instance.status = 'RUNNING' })
    }
    sendJson(response, 400, errorDocument(400, `Invalid request: ${verb ?? ''}`, 'invalid'))
  }

  #insert (request: FakeRequest, response: ServerResponse, project: Project, zone: string): void {
    const requestId = request.url.searchParams.get('requestId')
    const repeated = requestId === null ? undefined : project.requestIds.get(requestId)
    if (repeated !== undefined) return sendJson(response, 200, this.#operationResource(project, repeated))
    const body = request.body as Record<string, any>
    const name = String(body.name ?? '')
    if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) return sendJson(response, 400, errorDocument(400, `Invalid value for field 'resource.name': '${name}'. Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'`, 'invalid'))
    if (project.instances.has(`${zone}~${name}`)) return sendJson(response, 409, errorDocument(409, `The resource 'projects/${project.id}/zones/${zone}/instances/${name}' already exists`, 'alreadyExists'))
    const machineType = String(body.machineType ?? '').split('/').at(-1) ?? ''
    if (!GCE_MACHINE_TYPES.some((type) => type.name === machineType)) return sendJson(response, 400, errorDocument(400, `Invalid value for field 'resource.machineType': '${String(body.machineType)}'. Machine type with name '${machineType}' does not exist in zone '${zone}'.`, 'invalid'))
    const sourceImage = String(body.disks?.[0]?.initializeParams?.sourceImage ?? '')
    const imageName = sourceImage.split('/').at(-1)
    if (!PUBLIC_IMAGES.some((image) => image.name === imageName) && !project.images.some((image) => image.name === imageName)) {
      return sendJson(response, 404, errorDocument(404, `The resource '${sourceImage}' was not found`, 'notFound'))
    }
    const labels = (body.labels ?? {}) as Record<string, string>
    const instance: FakeInstance = {
      id: String(BigInt(`0x${randomBytes(7).toString('hex')}`)),
      name,
      zone,
      machineType,
      status: 'PROVISIONING',
      description: String(body.description ?? ''),
      labels,
      labelFingerprint: fingerprintOf(labels),
      metadata: (body.metadata?.items ?? []) as FakeInstance['metadata'],
      sourceImage,
      network: String(body.networkInterfaces?.[0]?.network ?? 'global/networks/default').split('/').at(-1) ?? 'default',
      natIP: '',
      networkIP: this.#nextIp('10.132'),
      created: new Date().toISOString()
    }
    const failure = this.failNextOperation
    this.failNextOperation = null
    const op = this.#newOperation(project, zone, name, 'insert', failure === null ? null : `${failure.code}: ${failure.message}`, () => {})
    if (failure === null) {
      project.instances.set(`${zone}~${name}`, instance)
      // The address is given once the instance runs.
      setTimeout(() => { if (instance.status !== 'TERMINATED') { instance.status = 'STAGING' } }, this.bootMs / 2).unref()
      setTimeout(() => { if (instance.status === 'STAGING') { instance.status = 'RUNNING'; instance.natIP = this.#nextIp('34.76') } }, this.bootMs).unref()
    }
    if (requestId !== null) project.requestIds.set(requestId, op)
    sendJson(response, 200, this.#operationResource(project, op))
  }

  #setLabels (request: FakeRequest, response: ServerResponse, project: Project, instance: FakeInstance): void {
    const body = request.body as { labels?: Record<string, string>, labelFingerprint?: string }
    if (body.labelFingerprint !== instance.labelFingerprint) {
      return sendJson(response, 412, errorDocument(412, 'Labels fingerprint either invalid or resource labels have changed', 'conditionNotMet', 'global'))
    }
    const labels = body.labels ?? {}
    for (const [key, value] of Object.entries(labels)) {
      if (!/^[a-z][-_a-z0-9]{0,62}$/.test(key) || !/^[-_a-z0-9]{0,63}$/.test(value)) return sendJson(response, 400, errorDocument(400, `Invalid value for field 'labels': '${key}'`, 'invalid'))
    }
    instance.labels = labels
    instance.labelFingerprint = fingerprintOf(labels)
    const op = this.#newOperation(project, instance.zone, instance.name, 'setLabels', null, () => {})
    sendJson(response, 200, this.#operationResource(project, op))
  }

  /** An action: its first step now, its effect when its operation is done (or nothing, when it fails). */
  #operate (response: ServerResponse, project: Project, instance: FakeInstance, type: string, begin: () => void, effect: () => void): void {
    const failure = this.failNextOperation
    this.failNextOperation = null
    if (failure === null) begin()
    const op = this.#newOperation(project, instance.zone, instance.name, type, failure === null ? null : `${failure.code}: ${failure.message}`, failure === null ? effect : () => {})
    sendJson(response, 200, this.#operationResource(project, op))
  }

  #newOperation (project: Project, zone: string, target: string, type: string, error: string | null, effect: () => void): FakeOperation {
    const now = Date.now()
    const op: FakeOperation = { name: `operation-${now}-${randomUUID().slice(0, 13)}`, zone, target, type, startedAt: now, doneAt: now + this.operationMs, error, effect, applied: false }
    project.operations.set(op.name, op)
    return op
  }

  /** Operations whose time has come are done, their effects applied, in the order they were made. */
  #tick (project: Project): void {
    const now = Date.now()
    for (const op of project.operations.values()) {
      if (!op.applied && op.doneAt <= now) {
        op.applied = true
        op.effect()
      }
    }
  }

  #operationResource (project: Project, op: FakeOperation): Record<string, unknown> {
    const done = op.applied || op.doneAt <= Date.now()
    const zoneUrl = `${this.origin}${BASE}${project.id}/zones/${op.zone}`
    return {
      kind: 'compute#operation',
      id: String(hashNumber(op.name)),
      name: op.name,
      zone: zoneUrl,
      operationType: op.type,
      targetLink: `${zoneUrl}/instances/${op.target}`,
      status: done ? 'DONE' : Date.now() - op.startedAt < 20 ? 'PENDING' : 'RUNNING',
      progress: done ? 100 : 0,
      insertTime: new Date(op.startedAt).toISOString(),
      ...(done ? { endTime: new Date(op.doneAt).toISOString() } : {}),
      ...(done && op.error !== null ? { error: { errors: [{ code: op.error.split(':')[0], message: op.error.slice(op.error.indexOf(':') + 2) }] }, httpErrorStatusCode: 503, httpErrorMessage: 'SERVICE UNAVAILABLE' } : {}),
      selfLink: `${zoneUrl}/operations/${op.name}`
    }
  }

  #resource (project: Project, instance: FakeInstance): Record<string, unknown> {
    const zoneUrl = `${this.origin}${BASE}${project.id}/zones/${instance.zone}`
    return {
      kind: 'compute#instance',
      id: instance.id,
      creationTimestamp: instance.created,
      name: instance.name,
      ...(instance.description === '' ? {} : { description: instance.description }),
      machineType: `${zoneUrl}/machineTypes/${instance.machineType}`,
      status: instance.status,
      zone: zoneUrl,
      networkInterfaces: [{
        network: `${this.origin}${BASE}${project.id}/global/networks/${instance.network}`,
        networkIP: instance.networkIP,
        name: 'nic0',
        accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT', ...(instance.natIP === '' || instance.status !== 'RUNNING' ? {} : { natIP: instance.natIP }) }]
      }],
      disks: [{ boot: true, autoDelete: true, source: `${zoneUrl}/disks/${instance.name}` }],
      metadata: { items: instance.metadata },
      labels: instance.labels,
      labelFingerprint: instance.labelFingerprint,
      selfLink: `${zoneUrl}/instances/${instance.name}`,
      cpuPlatform: 'Intel Broadwell'
    }
  }
}

function bearer (request: FakeRequest): string | null {
  const auth = request.headers.authorization ?? ''
  return auth.startsWith('Bearer ') ? auth.slice(7) : null
}

function errorDocument (code: number, message: string, reason: string, domain = 'global', status?: string): unknown {
  return { error: { code, message, errors: [{ message, domain, reason }], ...(status === undefined ? {} : { status }) } }
}

function page<T> (request: FakeRequest, all: T[], pageSize: number): { items: T[], nextPageToken?: string } {
  const max = Math.min(Number(request.url.searchParams.get('maxResults') ?? pageSize), pageSize)
  const from = Number(request.url.searchParams.get('pageToken') ?? '0')
  const items = all.slice(from, from + max)
  return from + max < all.length ? { items, nextPageToken: String(from + max) } : { items }
}

/** GCE's fingerprints are opaque base64: here a hash of the labels. */
const fingerprintOf = (labels: Record<string, string>): string =>
  createHash('sha256').update(JSON.stringify(Object.entries(labels).sort())).digest().subarray(0, 8).toString('base64')

const hashNumber = (text: string): bigint => BigInt(`0x${createHash('sha256').update(text).digest('hex').slice(0, 15)}`)

function imageResource (origin: string, image: typeof PUBLIC_IMAGES[number]): Record<string, unknown> {
  return {
    kind: 'compute#image',
    id: image.id,
    name: image.name,
    family: image.family,
    creationTimestamp: image.created,
    architecture: 'X86_64',
    status: 'READY',
    description: `${image.family}, built on ${image.created.slice(0, 10)}`,
    selfLink: `${origin}${BASE}${image.project}/global/images/${image.name}`
  }
}
