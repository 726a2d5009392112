import type { ServerResponse } from 'node:http'
import { randomBytes, randomUUID } from 'node:crypto'
import { CloudFake, sendJson, type FakeRequest } from './https-fake.ts'

/**
 * Azure as its public references describe it, on one origin: Microsoft identity platform's
 * client-credentials flow (OpenID configuration, token endpoint, AADSTS errors), Azure Resource
 * Manager (bearer tokens scoped to subscriptions, `{"error": {code, message}}` bodies, `nextLink`
 * paging, long-running operations with `Azure-AsyncOperation` and `Location`), Compute
 * (instance views with ProvisioningState/ and PowerState/ codes, deleteOption cascades), Network
 * and the public Retail Prices API (`Items`, `NextPageLink`).
 */
interface Principal { tenant: string, client: string, secret: string, subscriptions: Set<string> }
type Resource = Record<string, any> & { id: string, name: string, type: string }
interface Settling { at: number, apply: () => void }
interface OperationError { code: string, message: string }

export const AZURE_SIZES = [
  { name: 'Standard_B1s', numberOfCores: 1, memoryInMB: 1024, osDiskSizeInMB: 1047552, resourceDiskSizeInMB: 4096, maxDataDiskCount: 2 },
  { name: 'Standard_D2s_v5', numberOfCores: 2, memoryInMB: 8192, osDiskSizeInMB: 1047552, resourceDiskSizeInMB: 0, maxDataDiskCount: 4 },
  { name: 'Standard_NoPrice_v9', numberOfCores: 4, memoryInMB: 16384, osDiskSizeInMB: 1047552, resourceDiskSizeInMB: 0, maxDataDiskCount: 8 }
]

/** What the Retail Prices API lists for a region: Linux, Windows, Spot and Low Priority meters. */
const priceItems = (region: string) => [
  ...['Standard_B1s', 'Standard_D2s_v5'].flatMap((sku, i) => [
    { armSkuName: sku, skuName: sku.replace('Standard_', '').replace('_', ' '), productName: `Virtual Machines ${sku} Series`, retailPrice: [0.0104, 0.096][i], unitPrice: [0.0104, 0.096][i], armRegionName: region, currencyCode: 'USD', type: 'Consumption', unitOfMeasure: '1 Hour', serviceName: 'Virtual Machines' },
    { armSkuName: sku, skuName: `${sku.replace('Standard_', '')} Spot`, productName: `Virtual Machines ${sku} Series`, retailPrice: 0.002, unitPrice: 0.002, armRegionName: region, currencyCode: 'USD', type: 'Consumption', unitOfMeasure: '1 Hour', serviceName: 'Virtual Machines' },
    { armSkuName: sku, skuName: `${sku.replace('Standard_', '')} Low Priority`, productName: `Virtual Machines ${sku} Series`, retailPrice: 0.003, unitPrice: 0.003, armRegionName: region, currencyCode: 'USD', type: 'Consumption', unitOfMeasure: '1 Hour', serviceName: 'Virtual Machines' },
    { armSkuName: sku, skuName: sku.replace('Standard_', ''), productName: `Virtual Machines ${sku} Series Windows`, retailPrice: 0.5, unitPrice: 0.5, armRegionName: region, currencyCode: 'USD', type: 'Consumption', unitOfMeasure: '1 Hour', serviceName: 'Virtual Machines' },
    { armSkuName: sku, skuName: sku.replace('Standard_', ''), productName: `Virtual Machines ${sku} Series`, retailPrice: 40, unitPrice: 40, armRegionName: region, currencyCode: 'USD', type: 'Reservation', unitOfMeasure: '1 Hour', serviceName: 'Virtual Machines', reservationTerm: '1 Year' }
  ])
]

export const AZURE_LOCATIONS = [
  { name: 'westeurope', displayName: 'West Europe', metadata: { geography: 'Europe', physicalLocation: 'Netherlands', regionType: 'Physical' } },
  { name: 'eastus', displayName: 'East US', metadata: { geography: 'United States', physicalLocation: 'Virginia', regionType: 'Physical' } },
  { name: 'europe', displayName: 'Europe', metadata: { geography: 'Europe', regionType: 'Logical' } }
]

export class AzureFake extends CloudFake {
  readonly #principals: Principal[] = []
  readonly #tokens = new Map<string, Principal>()
  /** Every resource by its lower-cased id (ARM ids are case-insensitive). */
  readonly resources = new Map<string, Resource>()
  readonly #operations = new Map<string, { at: number, error?: OperationError }>()
  /** The next VM action is accepted, but its operation ends Failed with this error and changes nothing. */
  failNextAction: OperationError | null = null
  /** The next VM create is accepted, but its operation ends Failed with this error: the VM stays, provisioning Failed. */
  failNextCreate: OperationError | null = null
  #settling: Settling[] = []
  bootMs = 300
  actionMs = 300
  pageSize = 50

  /** A service principal with access to one subscription; returns its credentials. */
  principal (subscription = randomUUID()): { tenant_id: string, client_id: string, client_secret: string, subscription_id: string } {
    const principal = { tenant: randomUUID(), client: randomUUID(), secret: randomBytes(12).toString('base64url'), subscriptions: new Set([subscription]) }
    this.#principals.push(principal)
    return { tenant_id: principal.tenant, client_id: principal.client, client_secret: principal.secret, subscription_id: subscription }
  }

  #tick (): void {
    const now = Date.now()
    const due = this.#settling.filter((item) => item.at <= now)
    this.#settling = this.#settling.filter((item) => item.at > now)
    for (const item of due) item.apply()
  }

  #later (ms: number, apply: () => void, error?: OperationError): string {
    const id = randomUUID()
    const at = Date.now() + ms
    this.#operations.set(id, { at, ...(error === undefined ? {} : { error }) })
    this.#settling.push({ at, apply })
    return id
  }

  /** VMs of a subscription as the cloud holds them now. */
  vms (subscription: string): Resource[] {
    this.#tick()
    return [...this.resources.values()].filter((resource) => resource.type === 'Microsoft.Compute/virtualMachines' && resource.id.toLowerCase().startsWith(`/subscriptions/${subscription.toLowerCase()}/`))
  }

  /** Every resource left in a subscription (what keeps billing). */
  left (subscription: string): string[] {
    this.#tick()
    return [...this.resources.values()].filter((resource) => resource.id.toLowerCase().startsWith(`/subscriptions/${subscription.toLowerCase()}/`)).map((resource) => resource.type).sort()
  }

  /** A VM made outside Stratus (the portal), running, with a NIC and a public IP. */
  addVm (subscription: string, group: string, name: string, fields: { power?: string, tags?: Record<string, string> } = {}): Resource {
    const base = `/subscriptions/${subscription}/resourceGroups/${group}/providers`
    const ip = this.#put(`${base}/Microsoft.Network/publicIPAddresses/${name}-ip`, { location: 'westeurope', properties: { ipAddress: `198.51.100.${1 + this.resources.size % 250}`, provisioningState: 'Succeeded' } })
    const nic = this.#put(`${base}/Microsoft.Network/networkInterfaces/${name}-nic`, {
      location: 'westeurope',
      properties: { provisioningState: 'Succeeded', ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAddress: `10.0.0.${4 + this.resources.size % 250}`, publicIPAddress: { id: ip.id } } }] }
    })
    const vm = this.#put(`${base}/Microsoft.Compute/virtualMachines/${name}`, {
      location: 'westeurope',
      tags: fields.tags ?? {},
      properties: {
        vmId: randomUUID(),
        provisioningState: 'Succeeded',
        hardwareProfile: { vmSize: 'Standard_B1s' },
        storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' }, osDisk: { name: `${name}_OsDisk`, createOption: 'FromImage' } },
        networkProfile: { networkInterfaces: [{ id: nic.id }] },
        osProfile: { computerName: name, adminUsername: 'azureuser' }
      }
    })
    vm.power = fields.power ?? 'running'
    nic.properties.virtualMachine = { id: vm.id }
    return vm
  }

  setPower (vm: Resource, power: string): void { vm.power = power }
  remove (vm: Resource): void { this.resources.delete(vm.id.toLowerCase()) }

  #put (id: string, body: Record<string, any>): Resource {
    const parts = id.split('/')
    const type = `${parts[6]}/${parts[7]}`
    const resource: Resource = { ...body, id, name: parts[8]!, type }
    this.resources.set(id.toLowerCase(), resource)
    return resource
  }

  #present (resource: Resource, instanceView: boolean): Record<string, unknown> {
    const { power, ...plain } = resource
    if (resource.type !== 'Microsoft.Compute/virtualMachines' || !instanceView) return plain
    return {
      ...plain,
      properties: {
        ...plain.properties,
        instanceView: {
          statuses: [
            { code: `ProvisioningState/${String(plain.properties.provisioningState).toLowerCase()}`, level: 'Info', displayStatus: String(plain.properties.provisioningState) },
            ...(power === undefined ? [] : [{ code: `PowerState/${String(power)}`, level: 'Info', displayStatus: `VM ${String(power)}` }])
          ]
        }
      }
    }
  }

  protected faultBody (status: number): unknown {
    return { error: status === 429 ? { code: 'TooManyRequests', message: 'The request is being throttled.' } : { code: 'InternalServerError', message: 'An internal error occurred.' } }
  }

  protected async handle (request: FakeRequest, res: ServerResponse, token: string | null): Promise<void> {
    this.#tick()
    const path = request.url.pathname
    const identity = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/.exec(path)
    if (identity !== null) return this.#identity(identity[1]!, identity[2]!, request, res)
    if (path === '/api/retail/prices') return this.#prices(request, res)

    const principal = token === null ? undefined : this.#tokens.get(token)
    if (principal === undefined) {
      return sendJson(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } }, { 'www-authenticate': 'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token"' })
    }
    const match = /^\/subscriptions\/([^/]+)(\/.*)?$/i.exec(path)
    if (match === null) return sendJson(res, 404, { error: { code: 'NotFound', message: 'Not found' } })
    const subscription = match[1]!
    if (![...principal.subscriptions].some((owned) => owned.toLowerCase() === subscription.toLowerCase())) {
      return sendJson(res, 403, { error: { code: 'AuthorizationFailed', message: `The client '${principal.client}' does not have authorization to perform action over scope '/subscriptions/${subscription}'.` } })
    }
    const rest = match[2] ?? ''
    const remaining = { 'x-ms-ratelimit-remaining-subscription-reads': '11999' }
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => sendJson(res, status, body, { ...remaining, ...headers })
    const notFound = (what: string) => send(404, { error: { code: 'ResourceNotFound', message: `The Resource '${what}' under resource group was not found.` } })

    if (rest === '' && request.method === 'GET') return send(200, { id: `/subscriptions/${subscription}`, subscriptionId: subscription, displayName: 'Fake subscription', state: 'Enabled' })
    if (rest === '/locations' && request.method === 'GET') return send(200, { value: AZURE_LOCATIONS.map((location) => ({ id: `/subscriptions/${subscription}/locations/${location.name}`, ...location })) })
    const sizes = /^\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/vmSizes$/i.exec(rest)
    if (sizes !== null) return send(200, { value: AZURE_SIZES })
    const operation = /^\/providers\/Microsoft\.(Compute|Network)\/locations\/([^/]+)\/operations\/([^/]+)$/i.exec(rest)
    if (operation !== null) {
      const found = this.#operations.get(operation[3]!)
      if (found === undefined) return send(404, { error: { code: 'NotFound', message: 'no such operation' } })
      const done = found.at <= Date.now()
      if (request.url.searchParams.get('monitor') === 'true') {
        if (!done) return send(202, undefined, { location: `${this.origin}${path}${request.url.search}` })
        return found.error === undefined ? send(200, {}) : send(500, { error: found.error })
      }
      const status = !done ? 'InProgress' : found.error === undefined ? 'Succeeded' : 'Failed'
      return send(200, { name: operation[3], status, startTime: new Date(found.at - this.actionMs).toISOString(), ...(done && found.error !== undefined ? { endTime: new Date(found.at).toISOString(), error: found.error } : {}) })
    }
    const listAll = /^\/providers\/Microsoft\.(Compute\/virtualMachines|Network\/networkInterfaces|Network\/publicIPAddresses)$/i.exec(rest)
    if (listAll !== null && request.method === 'GET') {
      const type = `Microsoft.${listAll[1]!}`.toLowerCase()
      const all = [...this.resources.values()].filter((resource) => resource.type.toLowerCase() === type && resource.id.toLowerCase().startsWith(`/subscriptions/${subscription.toLowerCase()}/`))
      const skip = Number(request.url.searchParams.get('$skiptoken') ?? 0)
      const page = all.slice(skip, skip + this.pageSize).map((resource) => this.#present(resource, request.url.searchParams.get('statusOnly') === 'true'))
      const next = skip + this.pageSize < all.length ? (() => { const url = new URL(`${this.origin}${path}${request.url.search}`); url.searchParams.set('$skiptoken', String(skip + this.pageSize)); return url.toString() })() : undefined
      return send(200, { value: page, ...(next === undefined ? {} : { nextLink: next }) })
    }
    const resourcePath = /^\/resourceGroups\/([^/]+)\/providers\/(Microsoft\.\w+\/\w+)\/([^/]+)(?:\/(start|deallocate|restart|powerOff))?$/i.exec(rest)
    if (resourcePath === null) return send(404, { error: { code: 'NotFound', message: `no route ${rest}` } })
    const [, group, type, name, action] = resourcePath
    const id = `/subscriptions/${subscription}/resourceGroups/${group}/providers/${type}/${name}`
    const existing = this.resources.get(id.toLowerCase())
    const region = (existing?.location as string | undefined) ?? 'westeurope'
    const namespace = type!.split('/')[0]
    const asyncHeaders = (operationId: string) => ({
      'azure-asyncoperation': `${this.origin}/subscriptions/${subscription}/providers/${namespace}/locations/${region}/operations/${operationId}?api-version=2024-07-01`,
      location: `${this.origin}/subscriptions/${subscription}/providers/${namespace}/locations/${region}/operations/${operationId}?monitor=true&api-version=2024-07-01`
    })

    if (action !== undefined) {
      if (existing === undefined) return notFound(`${type}/${name}`)
      // A restart shows no power state of its own: the VM reads running throughout.
      const moves: Record<string, [string, string]> = { start: ['starting', 'running'], deallocate: ['deallocating', 'deallocated'], restart: ['running', 'running'], powerOff: ['stopping', 'stopped'] }
      const [via, to] = moves[action]!
      if (existing.properties.provisioningState === 'Deleting') return send(409, { error: { code: 'OperationNotAllowed', message: 'The VM is being deleted.' } })
      const failure = this.failNextAction
      this.failNextAction = null
      const from = existing.power
      existing.power = via
      // A failed operation leaves the VM as it was (a start that found no capacity stays deallocated).
      if (failure !== null) return send(202, undefined, asyncHeaders(this.#later(this.actionMs, () => { existing.power = from }, failure)))
      return send(202, undefined, asyncHeaders(this.#later(this.actionMs, () => { existing.power = to })))
    }
    if (request.method === 'GET') {
      if (existing === undefined) return notFound(`${type}/${name}`)
      return send(200, this.#present(existing, request.url.searchParams.get('$expand') === 'instanceView'))
    }
    if (request.method === 'PATCH') {
      if (existing === undefined) return notFound(`${type}/${name}`)
      const patch = request.body as { tags?: Record<string, string> }
      if (patch.tags !== undefined) existing.tags = patch.tags
      return send(200, this.#present(existing, false))
    }
    if (request.method === 'DELETE') {
      if (existing === undefined) return send(204)
      if (type!.toLowerCase() === 'microsoft.compute/virtualmachines') {
        existing.properties.provisioningState = 'Deleting'
        existing.power = 'stopping'
        return send(202, undefined, asyncHeaders(this.#later(this.actionMs, () => this.#deleteVm(existing))))
      }
      this.resources.delete(id.toLowerCase())
      return send(200)
    }
    if (request.method === 'PUT') return this.#create(id, type!, name!, request.body as Record<string, any>, send, asyncHeaders)
    return send(405, { error: { code: 'MethodNotAllowed', message: request.method } })
  }

  #create (id: string, type: string, name: string, body: Record<string, any>, send: (status: number, body?: unknown, headers?: Record<string, string>) => void, asyncHeaders: (op: string) => Record<string, string>): void {
    const invalid = (message: string) => send(400, { error: { code: 'InvalidParameter', message } })
    const kind = type.toLowerCase()
    if (kind === 'microsoft.compute/virtualmachines') {
      const properties = body.properties ?? {}
      if (!AZURE_SIZES.some((size) => size.name === properties.hardwareProfile?.vmSize)) return invalid(`The requested VM size ${String(properties.hardwareProfile?.vmSize)} is not available in the current region.`)
      if (!/^[a-zA-Z0-9-]{1,64}$/.test(name)) return invalid('Virtual machine name may contain letters, digits and hyphens only.')
      const password = String(properties.osProfile?.adminPassword ?? '')
      const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^a-zA-Z\d]/].filter((pattern) => pattern.test(password)).length
      if (password !== '' && (password.length < 6 || password.length > 72 || classes < 3)) return invalid('The supplied password must be between 6-72 characters long and must satisfy at least 3 of password complexity requirements.')
      for (const nic of properties.networkProfile?.networkInterfaces ?? []) {
        if (!this.resources.has(String(nic.id).toLowerCase())) return send(404, { error: { code: 'NotFound', message: `Resource ${String(nic.id)} not found.` } })
      }
      const disk = this.#put(`${id.split('/providers/')[0]}/providers/Microsoft.Compute/disks/${name}_OsDisk_1_${randomBytes(8).toString('hex')}`, { location: body.location, properties: { diskState: 'Attached' } })
      const vm = this.#put(id, {
        location: body.location,
        tags: body.tags ?? {},
        properties: {
          ...properties,
          vmId: randomUUID(),
          provisioningState: 'Creating',
          osProfile: { ...properties.osProfile, adminPassword: undefined },
          storageProfile: { ...properties.storageProfile, osDisk: { ...properties.storageProfile?.osDisk, name: disk.name.split('/').pop(), managedDisk: { id: disk.id } } }
        }
      })
      vm.customData = properties.osProfile?.customData
      for (const nic of properties.networkProfile?.networkInterfaces ?? []) {
        const attached = this.resources.get(String(nic.id).toLowerCase())!
        attached.properties.virtualMachine = { id: vm.id }
      }
      const failure = this.failNextCreate
      this.failNextCreate = null
      if (failure !== null) return send(201, this.#present(vm, false), asyncHeaders(this.#later(this.bootMs, () => { vm.properties.provisioningState = 'Failed' }, failure)))
      return send(201, this.#present(vm, false), asyncHeaders(this.#later(this.bootMs, () => { vm.properties.provisioningState = 'Succeeded'; vm.power = 'running' })))
    }
    if (kind === 'microsoft.network/publicipaddresses') {
      const ip = this.#put(id, { location: body.location, tags: body.tags ?? {}, sku: body.sku, properties: { ...body.properties, provisioningState: 'Updating', ipAddress: `203.0.113.${1 + this.resources.size % 250}` } })
      return send(201, ip, asyncHeaders(this.#later(30, () => { ip.properties.provisioningState = 'Succeeded' })))
    }
    if (kind === 'microsoft.network/virtualnetworks') {
      const vnet = this.#put(id, { location: body.location, properties: { ...body.properties, provisioningState: 'Updating', subnets: (body.properties?.subnets ?? []).map((subnet: any) => ({ ...subnet, id: `${id}/subnets/${String(subnet.name)}` })) } })
      return send(201, vnet, asyncHeaders(this.#later(30, () => { vnet.properties.provisioningState = 'Succeeded' })))
    }
    if (kind === 'microsoft.network/networkinterfaces') {
      const configurations = (body.properties?.ipConfigurations ?? []).map((configuration: any, i: number) => {
        const subnet = String(configuration.properties?.subnet?.id ?? '')
        if (!this.resources.has(subnet.split('/subnets/')[0]!.toLowerCase())) throw new Error(`subnet ${subnet} does not exist`)
        return { ...configuration, properties: { ...configuration.properties, privateIPAddress: `10.42.0.${4 + (this.resources.size + i) % 250}` } }
      })
      const nic = this.#put(id, { location: body.location, tags: body.tags ?? {}, properties: { ...body.properties, ipConfigurations: configurations, provisioningState: 'Updating' } })
      return send(201, nic, asyncHeaders(this.#later(30, () => { nic.properties.provisioningState = 'Succeeded' })))
    }
    return invalid(`unsupported type ${type}`)
  }

  /** A deleted VM takes with it what its deleteOptions say: NICs (and their public IPs), the OS disk. */
  #deleteVm (vm: Resource): void {
    this.resources.delete(vm.id.toLowerCase())
    const osDisk = vm.properties.storageProfile?.osDisk
    if (osDisk?.deleteOption === 'Delete' && osDisk.managedDisk?.id !== undefined) this.resources.delete(String(osDisk.managedDisk.id).toLowerCase())
    for (const reference of vm.properties.networkProfile?.networkInterfaces ?? []) {
      const nic = this.resources.get(String(reference.id).toLowerCase())
      if (nic === undefined) continue
      delete nic.properties.virtualMachine
      if (reference.properties?.deleteOption !== 'Delete' && reference.deleteOption !== 'Delete') continue
      this.resources.delete(nic.id.toLowerCase())
      for (const configuration of nic.properties.ipConfigurations ?? []) {
        const ip = configuration.properties?.publicIPAddress
        if (ip?.properties?.deleteOption === 'Delete' || ip?.deleteOption === 'Delete') this.resources.delete(String(ip.id).toLowerCase())
      }
    }
  }

  #identity (tenant: string, endpoint: string, request: FakeRequest, res: ServerResponse): void {
    const known = this.#principals.some((principal) => principal.tenant === tenant)
    if (!known) {
      return sendJson(res, 400, { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.`, error_codes: [90002] })
    }
    const authority = `${this.origin}/${tenant}`
    if (endpoint.startsWith('v2.0')) {
      return sendJson(res, 200, {
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        issuer: `${authority}/v2.0`,
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        tenant_region_scope: 'EU'
      })
    }
    const form = new URLSearchParams(request.rawBody)
    const principal = this.#principals.find((candidate) => candidate.tenant === tenant && candidate.client === form.get('client_id'))
    if (principal === undefined) {
      return sendJson(res, 400, { error: 'unauthorized_client', error_description: `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`, error_codes: [700016] })
    }
    if (principal.secret !== form.get('client_secret')) {
      return sendJson(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] })
    }
    const token = randomBytes(24).toString('base64url')
    this.#tokens.set(token, principal)
    return sendJson(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token })
  }

  #prices (request: FakeRequest, res: ServerResponse): void {
    const filter = request.url.searchParams.get('$filter') ?? ''
    const region = /armRegionName eq '([^']+)'/.exec(filter)?.[1] ?? 'westeurope'
    let items = priceItems(region)
    if (filter.includes("priceType eq 'Consumption'")) items = items.filter((item) => item.type === 'Consumption')
    const skip = Number(request.url.searchParams.get('$skip') ?? 0)
    const page = items.slice(skip, skip + 3)
    const next = skip + 3 < items.length ? (() => { const url = new URL(`${this.origin}/api/retail/prices`); url.searchParams.set('$filter', filter); url.searchParams.set('$skip', String(skip + 3)); return url.toString() })() : null
    sendJson(res, 200, { BillingCurrency: 'USD', CustomerEntityId: 'Default', CustomerEntityType: 'Retail', Items: page, NextPageLink: next, Count: page.length })
  }
}
