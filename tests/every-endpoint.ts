import type { Test } from 'tap'
import { toXml } from '../src/xml/encode.ts'
import { createXmlReader } from '../src/xml/decode.ts'
import type { JsonSchema } from '../src/xml/schema-kind.ts'
import { Backend, BackendList, ImageList, LocationList, SizeList } from '../src/schemas/backend.ts'
import { BackendCreateBody, BackendUpdateBody, MachineCreateBody } from './bodies.ts'
import { Key, KeyCreateBody, KeyCreated, KeyList } from '../src/schemas/key.ts'
import { MachineActionBody, MistMachine, MistMachineCreated, MistMachineList, TagBody, TagList } from '../src/schemas/mist-machine.ts'
import { GateControlBody, GateMachine, GateMachineList, GateRenameBody } from '../src/schemas/gate-machine.ts'
import { AuditList, TokenCreateBody, TokenCreated, TokenList, User, UserCreateBody, UserList } from '../src/schemas/account.ts'

/**
 * One scenario over every endpoint of both dialects, run in JSON and in XML (bodies and
 * answers). Every XML answer is read back with its schema and must equal the JSON answer to
 * the same request: XML is the same document, not a different one.
 */
export type Call = (method: string, path: string, options: { body?: string, contentType?: string, accept: string }) =>
Promise<{ status: number, type: string, text: string, location?: string }>

const readXml = createXmlReader({ maxDepth: 32 })
const Health = { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' } } }
const ProblemType = { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' } } }

export async function exerciseEveryEndpoint (t: Test, call: Call): Promise<void> {
  for (const format of ['json', 'xml'] as const) {
    const accept = format === 'json' ? 'application/json' : 'application/xml'
    const send = async (method: string, path: string, status: number, schemas: { body?: JsonSchema, response?: JsonSchema }, body?: unknown) => {
      const encoded = body === undefined ? undefined : format === 'json' ? JSON.stringify(body) : toXml(schemas.body, body)
      const res = await call(method, path, { body: encoded, contentType: body === undefined ? undefined : accept, accept })
      t.equal(res.status, status, `${format}: ${method} ${path} ${res.status === status ? '' : res.text}`)
      if (schemas.response === undefined) return { value: undefined, location: res.location }
      t.match(res.type, format === 'json' ? /^application\/json/ : /^application\/xml/, `${format}: ${method} ${path} media type`)
      return { value: format === 'json' ? JSON.parse(res.text) : readXml(res.text, schemas.response), location: res.location }
    }
    /** GETs are compared across formats: the XML, read back, is the JSON document. */
    const get = async (path: string, schema: JsonSchema) => {
      const json = await call('GET', path, { accept: 'application/json' })
      const xml = await call('GET', path, { accept: 'application/xml' })
      t.equal(json.status, 200, `GET ${path} (json)`)
      t.equal(xml.status, 200, `GET ${path} (xml)`)
      t.same(readXml(xml.text, schema), JSON.parse(json.text), `GET ${path}: XML is the same document as JSON`)
      return JSON.parse(json.text)
    }
    /** Polls in JSON; once the state is steady, both formats are compared. */
    const until = async (path: string, state: string) => {
      for (let i = 0; i < 500; i++) {
        if (JSON.parse((await call('GET', path, { accept: 'application/json' })).text).state === state) {
          await get(path, GateMachine)
          return
        }
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      t.fail(`${path} never became ${state}`)
    }

    await get('/health', Health)
    await get('/problems/invalid-state', ProblemType)
    const backend = (await send('POST', '/backends', 201, { body: BackendCreateBody, response: Backend },
      { title: `every ${format}`, provider: 'sandbox', api_key: 'every-endpoint-key', boot_delay_ms: 10, stop_delay_ms: 10, faults: {} })).value
    await get('/backends', BackendList)
    await get(`/backends/${backend.id}`, Backend)
    await send('PUT', `/backends/${backend.id}`, 200, { body: BackendUpdateBody, response: Backend }, { title: `renamed ${format}` })
    await get(`/backends/${backend.id}/sizes`, SizeList)
    await get(`/backends/${backend.id}/images`, ImageList)
    await get(`/backends/${backend.id}/locations`, LocationList)
    const key = (await send('POST', '/keys', 201, { body: KeyCreateBody, response: KeyCreated }, { name: `key-${format}` })).value
    await get('/keys', KeyList)
    await send('POST', '/keys', 201, { body: KeyCreateBody, response: Key }, { name: `given-${format}`, public_key: key.public_key })
    const created = await send('POST', `/backends/${backend.id}/machines`, 201, { body: MachineCreateBody, response: MistMachineCreated },
      { name: `m-${format}`, key: key.id, image: 'debian-12', location: 'sbx-us-1', size: 'sbx.small', script: 'echo <hi> & bye', monitoring: true, image_extra: '', disk: '' })
    const machinePath = created.location!
    t.match(machinePath, /^\/api\/machine\/\d+$/)
    await until(machinePath, 'active')
    await get(`/backends/${backend.id}/machines`, MistMachineList)
    await get('/api/machine', GateMachineList)
    await get('/api/machine?state=active&state=inactive', GateMachineList)
    await send('POST', `/backends/${backend.id}/machines/${created.value.id}/metadata`, 200, { body: TagBody, response: TagList }, { tag: `tag <${format}>` })
    await send('POST', machinePath, 200, { body: GateRenameBody, response: GateMachine }, { name: `renamed & ${format}` })
    await send('POST', `${machinePath}/control`, 204, { body: GateControlBody }, { action: 'stop' })
    await until(machinePath, 'inactive')
    await send('POST', `/backends/${backend.id}/machines/${created.value.id}`, 202, { body: MachineActionBody, response: MistMachine }, { action: 'start' })
    await until(machinePath, 'active')
    await send('POST', `/backends/${backend.id}/machines/${created.value.id}`, 202, { body: MachineActionBody, response: MistMachine }, { action: 'destroy' })
    await until(machinePath, 'destroyed')
    await send('DELETE', `/keys/${key.id}`, 204, {})
    await send('DELETE', `/backends/${backend.id}`, 204, {})

    const user = (await send('POST', '/api/users', 201, { body: UserCreateBody, response: User }, { name: `user-${format}`, admin: false })).value
    await get('/api/users', UserList)
    await send('POST', `/api/users/${user.id}/tokens`, 201, { body: TokenCreateBody, response: TokenCreated }, { name: 'for the user' })
    const token = (await send('POST', '/api/tokens', 201, { body: TokenCreateBody, response: TokenCreated }, { name: `mine ${format}`, expires_at: '2099-01-01T00:00:00.000Z' })).value
    t.match(token.token, /^stratus_/)
    await get('/api/tokens', TokenList)
    await send('DELETE', `/api/tokens/${token.id}`, 204, {})
    // The audit log keeps moving (entries are written just after each answer), so it is polled
    // until the backend's create, update and delete are in, and only its shape is compared.
    let audited = 0
    for (let i = 0; i < 100 && audited < 3; i++) {
      audited = (await send('GET', `/api/audit?resource_type=backend&resource_id=${backend.id}`, 200, { response: AuditList })).value.length
      if (audited < 3) await new Promise((resolve) => setTimeout(resolve, 10))
    }
    t.equal(audited, 3, `${format}: the backend's create, update and delete are audited`)
  }
}
