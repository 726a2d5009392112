import t from 'tap'
import { TEST_ADMIN_TOKEN } from '../helper.ts'
import { rawRequest, startServer } from '../started-server.ts'

/**
 * The 2014 mist.io Python client (mistio/mist.client: MistClient, Backend, Machine, Key over
 * RequestsHandler), replayed call for call through a started server as python-requests sends
 * them: `Authorization` set to the client's api_token as is ("Bearer <token>" here), Accept
 * any type, and bodies json.dumps()'d into `data=` without any Content-Type.
 */
t.test('the mist.io client\'s documented workflow runs unchanged', async (t) => {
  const server = await startServer(t)
  const host = new URL(server.base).host
  const apiToken = `Bearer ${TEST_ADMIN_TOKEN}`
  // requests.<method>(uri, data=data, headers={'Authorization': api_token})
  const python = async (method: string, path: string, payload?: Record<string, unknown>) => {
    const data = payload === undefined ? undefined : JSON.stringify(payload).replace(/":/g, '": ').replace(/,"/g, ', "')
    const headers: Array<[string, string]> = [
      ['Host', host], ['User-Agent', 'python-requests/2.2.1 CPython/2.7.6 Linux/3.13.0'], ['Accept-Encoding', 'gzip, deflate'],
      ['Accept', '*/*'], ['Connection', 'keep-alive'], ['Authorization', apiToken]
    ]
    // requests sends Content-Length: 0 for a POST, PUT or DELETE without data, and nothing for a GET.
    if (data !== undefined || method !== 'GET') headers.push(['Content-Length', String(Buffer.byteLength(data ?? ''))])
    const res = await rawRequest(server.base + path, method, headers, data)
    // RequestsHandler.response(): anything but resp.ok raises Exception(resp.content)
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${res.body}`)
    return res.body === '' ? null : JSON.parse(res.body)
  }

  // MistClient.supported_providers
  const providers = (await python('GET', '/providers')).supported_providers
  t.match(providers, [{ provider: 'sandbox', title: String }])
  t.match(providers[0].fields, [{ name: 'api_key', required: true, credential: true }], 'the fields a backend of each takes')

  // A backend, added with Stratus's own fields (the client's add_backend names 2014 providers).
  await python('POST', '/backends', { title: 'My sandbox', provider: 'sandbox', api_key: 'mist-secret', boot_delay_ms: 20, stop_delay_ms: 20 })

  // MistClient.backends -> Backend(backend): title, id, enabled, provider
  const [backend] = await python('GET', '/backends')
  t.match(backend, { title: 'My sandbox', id: String, enabled: true, provider: 'sandbox' })

  // Backend.rename(new_name): PUT /backends/{id} {"new_name": ...}
  await python('PUT', `/backends/${backend.id as string}`, { new_name: 'Renamed sandbox' })
  t.equal((await python('GET', '/backends'))[0].title, 'Renamed sandbox')

  // Backend.disable() / enable(): POST /backends/{id} {"new_state": "0"|"1"}
  await python('POST', `/backends/${backend.id as string}`, { new_state: '0' })
  t.equal((await python('GET', '/backends'))[0].enabled, false)
  await python('POST', `/backends/${backend.id as string}`, { new_state: '1' })
  t.equal((await python('GET', '/backends'))[0].enabled, true)

  // Backend.sizes / locations / images
  const sizes = await python('GET', `/backends/${backend.id as string}/sizes`)
  t.match(sizes.find((s: any) => s.id === 'sbx.spot.small'), { unsupported_actions: ['start', 'shutdown'] }, 'sizes say what they can never do')
  t.ok((await python('GET', `/backends/${backend.id as string}/locations`)).length > 0)
  t.ok((await python('GET', `/backends/${backend.id as string}/images`)).length > 0)

  // MistClient.generate_key(): POST /keys, no data -> response['priv']
  const generated = await python('POST', '/keys')
  t.match(generated.priv, /^-----BEGIN OPENSSH PRIVATE KEY-----/)
  t.same(await python('GET', '/keys'), [], 'generating a pair stores nothing')

  // MistClient.add_key(key_name, private): PUT /keys {"id": name, "priv": private}
  await python('PUT', '/keys', { id: 'mykey', priv: generated.priv })
  const keys = await python('GET', '/keys')
  t.match(keys, [{ id: String, name: 'mykey', isDefault: true, public_key: generated.public.split(' ').slice(0, 2).join(' ') + ' mykey' }], 'Key(key): id, isDefault; public key derived')
  t.notMatch(JSON.stringify(keys), /PRIVATE KEY/, 'the private key is never answered again')
  await python('PUT', '/keys', { id: 'otherkey', priv: (await python('POST', '/keys')).priv })
  const other = (await python('GET', '/keys')).find((k: any) => k.name === 'otherkey')
  t.equal(other.isDefault, false)
  // Key.set_default(): POST /keys/{id}, no data
  await python('POST', `/keys/${other.id as string}`)
  t.same((await python('GET', '/keys')).map((k: any) => [k.name, k.isDefault]), [['mykey', false], ['otherkey', true]])

  // Backend.create_machine(name, key, image_id, location_id, size_id, image_extra="", disk="")
  await python('POST', `/backends/${backend.id as string}/machines`, {
    name: 'WebServer 3', key: keys[0].id, image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small', image_extra: '', disk: ''
  })
  // ... and the fields later clients send, accepted and ignored by the simulator.
  await python('POST', `/backends/${backend.id as string}/machines`, { name: 'with default key', image: 'debian-12', location: 'sbx-eu-1', size: 'sbx.small', ips: [], networks: [] })

  // Backend.machines -> Machine(machine): name, id, public_ips, extra
  let machines: any[] = []
  for (let i = 0; i < 200 && !(machines.length === 2 && machines.every((m) => m.state === 'running')); i++) {
    machines = await python('GET', `/backends/${backend.id as string}/machines`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.match(machines, [{ name: 'WebServer 3', id: String, public_ips: [String], extra: Object, state: 'running' }, { name: 'with default key' }])
  const web = machines[0]
  t.equal((await python('GET', `/api/machine/${(await python('GET', '/api/machine'))[1].id as number}`)).name, 'with default key')

  // Machine.stop() sends "stop"; reboot(), start(), destroy() the document's words.
  await python('POST', `/backends/${backend.id as string}/machines/${web.id as string}`, { action: 'stop' })
  const stopped = async () => (await python('GET', `/backends/${backend.id as string}/machines`)).find((m: any) => m.id === web.id).state
  for (let i = 0; i < 200 && await stopped() !== 'stopped'; i++) await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal(await stopped(), 'stopped')
  await python('POST', `/backends/${backend.id as string}/machines/${web.id as string}`, { action: 'start' })

  // A disabled backend: not synced, and its machines refuse actions (409) saying why.
  await python('POST', `/backends/${backend.id as string}`, { new_state: '0' })
  const refused = await rawRequest(`${server.base}/backends/${backend.id as string}/machines/${web.id as string}`, 'POST', [['Host', host], ['Accept', '*/*'], ['Authorization', apiToken]], '{"action": "reboot"}')
  t.equal(refused.status, 409)
  t.match(JSON.parse(refused.body).detail, /disabled/)
  await python('POST', `/backends/${backend.id as string}`, { new_state: '1' })

  // Key.delete(), and a body that is neither JSON nor XML, without Content-Type: 415.
  await python('DELETE', `/keys/${other.id as string}`)
  const garbage = await rawRequest(`${server.base}/keys`, 'PUT', [['Host', host], ['Authorization', apiToken], ['Content-Length', '8']], 'id=a&b=c')
  t.equal(garbage.status, 415)
  t.equal(await server.stop(), 0)
})
