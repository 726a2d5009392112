import createClient from 'openapi-fetch'
import type { paths } from './.generated/stratus-api.ts'

/**
 * A program written against the client that openapi-typescript generates from the committed
 * openapi/openapi.json, driven with openapi-fetch: strict TypeScript, no casts and no `any`, so
 * it compiles only while the document says what this program does, and runs only while the
 * server does what the document says (tests/generated-client.test.ts).
 */
const client = createClient<paths>({
  baseUrl: process.env.STRATUS_URL ?? 'http://127.0.0.1:3000',
  headers: { authorization: `Bearer ${process.env.STRATUS_TOKEN ?? ''}` }
})

function check (condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

const pause = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

const providers = await client.GET('/providers')
check(providers.data !== undefined && providers.data.supported_providers.some((p) => p.provider === 'sandbox'), 'the sandbox provider is loaded')

const backend = await client.POST('/backends', {
  body: { title: 'generated client', provider: 'sandbox', api_key: 'generated-client-key', boot_delay_ms: 20, stop_delay_ms: 20 }
})
check(backend.data !== undefined, `create backend: ${JSON.stringify(backend.error)}`)
check(backend.response.headers.get('location') === `/backends/${backend.data.id}`, 'Location names the backend')

const key = await client.POST('/keys', { body: { name: 'generated-client' } })
check(key.data !== undefined && 'id' in key.data, `create key: ${JSON.stringify(key.error)}`)

const sizes = await client.GET('/backends/{backend_id}/sizes', { params: { path: { backend_id: backend.data.id } } })
check(sizes.data !== undefined, 'sizes')
const size = sizes.data.find((candidate) => !candidate.unsupported_actions.includes('shutdown'))
check(size !== undefined, 'a size that can be stopped')

const created = await client.POST('/backends/{backend_id}/machines', {
  params: { path: { backend_id: backend.data.id } },
  body: { name: 'generated-1', key: key.data.id, image: 'debian-12', location: 'sbx-eu-1', size: size.id }
})
check(created.data !== undefined, `create machine: ${JSON.stringify(created.error)}`)
const id = created.data.machine_api_id
check(created.response.headers.get('location') === `/api/machine/${id}`, 'Location and machine_api_id agree')

type GateState = 'active' | 'inactive' | 'pending' | 'stopping' | 'destroyed'
const waitFor = async (state: GateState): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    const { data } = await client.GET('/api/machine/{id}', { params: { path: { id } } })
    if (data?.state === state) return
    await pause(20)
  }
  throw new Error(`machine ${id} never became ${state}`)
}

await waitFor('active')
const details = await client.GET('/api/machine/{id}', { params: { path: { id } } })
check(details.data?.launchTime !== undefined && details.data.adminPassword !== null, 'details of an active machine')

const stop = await client.POST('/api/machine/{id}/control', { params: { path: { id } }, body: { action: 'stop' } })
check(stop.response.status === 204, `stop: ${stop.response.status}`)
await waitFor('inactive')

const again = await client.POST('/api/machine/{id}/control', { params: { path: { id } }, body: { action: 'stop' } })
check(again.error !== undefined && again.response.status === 409, 'stopping an inactive machine is refused')
check(again.error.state === 'inactive' && again.error.message.length > 0, `the refusal says why: ${JSON.stringify(again.error)}`)

const start = await client.POST('/api/machine/{id}/control', { params: { path: { id } }, body: { action: 'start' } })
check(start.response.status === 204, `start: ${start.response.status}`)
await waitFor('active')

const destroy = await client.POST('/backends/{backend_id}/machines/{machine_id}', {
  params: { path: { backend_id: backend.data.id, machine_id: created.data.id } },
  body: { action: 'destroy' }
})
check(destroy.data !== undefined && destroy.data.state === 'destroying', `destroy: ${JSON.stringify(destroy.error)}`)
await waitFor('destroyed')
process.stdout.write('create -> active -> stop -> inactive -> start -> active -> destroy -> destroyed\n')
