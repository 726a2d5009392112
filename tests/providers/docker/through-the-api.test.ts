import t from 'tap'
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildTestApp, createUser, eventually, json } from '../../helper.ts'
import { DockerFake } from '../../fakes/docker-fake.ts'

// Two engines the server may use (one on TCP, one on a unix socket), and one it may not: what only
// the whole server shows for Docker.
const tcp = await new DockerFake().start('http')
const socketPath = join(tmpdir(), `stratus-docker-${process.pid}.sock`)
const unix = await new DockerFake().start({ socketPath })
const outside = await new DockerFake().start('http')
t.teardown(async () => { await Promise.all([tcp.close(), unix.close(), outside.close()]) })
const hostOf = (engine: DockerFake) => engine.origin.replace(/^http:/, 'tcp:')

const app = await buildTestApp(t, {
  pollIntervalMs: 50,
  syncIntervalMs: 0,
  listFreshMs: 0,
  listingBudgetPercent: 0,
  cloudEnv: { DOCKER_ALLOWED_HOSTS: `${hostOf(tcp)},unix://${socketPath}` }
})
type Inject = (options: { method: 'POST', url: string, payload: object }) => Promise<{ statusCode: number, body: string }>
const add = async (fields: Record<string, unknown>, inject: Inject = async (options) => app.inject(options)) => inject({ method: 'POST', url: '/backends', payload: { title: 'docker', provider: 'docker', ...fields } })
const machines = async (backend: string) => json((await app.inject({ method: 'GET', url: `/backends/${backend}/machines` })).body) as Array<Record<string, any>>
const body = { size: 'default', image: 'ubuntu:24.04', docker_command: 'sleep infinity' }

t.test('a host outside DOCKER_ALLOWED_HOSTS is refused before any connection, at add and at change; nothing is stored', async (t) => {
  const refused = await add({ host: hostOf(outside) })
  t.equal(refused.statusCode, 422, refused.body)
  t.match(json(refused.body).detail, /not allowed by this server/)
  const backend = json((await add({ host: hostOf(tcp) })).body).id as string
  const changed = await app.inject({ method: 'PUT', url: `/backends/${backend}`, payload: { host: hostOf(outside) } })
  t.equal(changed.statusCode, 422, changed.body)
  t.equal(((await app.db.backend.findUniqueOrThrow({ where: { id: backend } })).settings as { host: string }).host, hostOf(tcp), 'the change was not stored')
  t.equal(outside.requests.length, 0, 'the refused engine was never contacted')
  t.equal(await app.db.backend.count({ where: { settings: { path: ['host'], equals: hostOf(outside) } } }), 0)
})

t.test('with DOCKER_ALLOWED_HOSTS unset, no Docker backend can be added', async (t) => {
  const bare = await buildTestApp(t)
  const refused = await bare.inject({ method: 'POST', url: '/backends', payload: { title: 'docker', provider: 'docker', host: hostOf(tcp) } })
  t.equal(refused.statusCode, 422, refused.body)
  t.match(json(refused.body).detail, /which is empty/)
})

t.test('an allowed host where no engine answers is refused and not stored', async (t) => {
  const gone = await new DockerFake().start('http')
  const host = hostOf(gone)
  await gone.close()
  const server = await buildTestApp(t, { cloudEnv: { DOCKER_ALLOWED_HOSTS: host } })
  const refused = await server.inject({ method: 'POST', url: '/backends', payload: { title: 'docker', provider: 'docker', host } })
  t.equal(refused.statusCode, 503, refused.body)
  t.equal(await server.db.backend.count(), 0)
})

t.test('only administrators add or change Docker backends (403)', async (t) => {
  const user = await createUser(app, 'not-an-admin')
  const refused = await add({ host: hostOf(tcp) }, user.inject)
  t.equal(refused.statusCode, 403, refused.body)
  t.equal(json(refused.body).type, '/problems/forbidden')
  // A backend of the user's own, made by nobody but an admin, cannot be changed by the user either.
  const sandbox = await user.inject({ method: 'POST', url: '/backends', payload: { title: 'vm', provider: 'sandbox', api_key: 'k' } })
  t.equal(sandbox.statusCode, 201, 'other providers are for everyone')
  const before = tcp.requests.length
  const backend = json((await add({ host: hostOf(tcp) })).body).id as string
  t.ok(tcp.requests.length > before, 'the admin\'s add asked the engine (GET /version)')
  t.ok(tcp.requests.slice(before).some((request) => request.path === '/v1.47/version'), 'versioned paths')
  const other = await user.inject({ method: 'PUT', url: `/backends/${backend}`, payload: { title: 'mine now' } })
  t.equal(other.statusCode, 404, 'not the user\'s to see')
})

t.test('two engines, one on a unix socket: each backend sees its own containers, and the create body lands on its engine', async (t) => {
  const a = json((await add({ host: hostOf(tcp) })).body).id as string
  const b = json((await add({ host: `unix://${socketPath}` })).body).id as string
  tcp.addContainer({ name: 'on-tcp' })
  unix.addContainer({ name: 'on-socket', labels: { 'com.example.team': 'web' } })
  t.same((await machines(a)).map((machine) => machine.name).sort(), ['on-tcp'])
  const onSocket = await machines(b)
  t.same(onSocket.map((machine) => machine.name), ['on-socket'], 'adopted')
  t.same(onSocket[0]!.extra.labels, { 'com.example.team': 'web' }, 'with the engine\'s labels')
  const created = await app.inject({ method: 'POST', url: `/backends/${b}/machines`, payload: { ...body, name: 'Web Server #1' } })
  t.equal(created.statusCode, 201, created.body)
  const container = [...unix.containers.values()].find((candidate) => candidate.labels['io.stratus.name'] === 'Web Server #1')!
  t.match(container.name, /^Web-Server-1-[0-9a-f]{8}$/, 'a name Docker takes')
  t.same(container.cmd, ['sleep', 'infinity'])
  t.equal(json(created.body).name, 'Web Server #1', 'shown by the name it was created with')
  t.equal([...tcp.containers.values()].length, 1, 'nothing on the other engine')
})

t.test('published ports are where a container is reachable: the engine\'s address, and a public URL', async (t) => {
  const backend = json((await add({ host: hostOf(tcp) })).body).id as string
  const created = await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { ...body, name: 'web', docker_exposed_ports: { '80/tcp': {} }, docker_port_bindings: { '80/tcp': [{ HostPort: '8080' }] } } })
  t.equal(created.statusCode, 201, created.body)
  const shown = (await machines(backend)).find((machine) => machine.name === 'web')!
  t.same(shown.public_ips, ['127.0.0.1'])
  const details = json((await app.inject({ method: 'GET', url: created.headers.location as string })).body)
  t.equal(details.publicUrl, 'http://127.0.0.1:8080')
})

t.test('paused is suspended and start unpauses it; dead is error; an unknown state is unknown', async (t) => {
  const backend = json((await add({ host: hostOf(tcp) })).body).id as string
  const paused = tcp.addContainer({ name: 'paused', state: 'paused' })
  const dead = tcp.addContainer({ name: 'dead', state: 'dead' })
  const odd = tcp.addContainer({ name: 'odd' })
  ;(odd as { state: string }).state = 'hibernating'
  const listed = await machines(backend)
  t.same([paused.id, dead.id, odd.id].map((id) => listed.find((machine) => machine.id === id)?.state), ['suspended', 'error', 'unknown'])
  const started = await app.inject({ method: 'POST', url: `/backends/${backend}/machines/${paused.id}`, payload: { action: 'start' } })
  t.equal(started.statusCode, 202, started.body)
  t.equal(paused.state, 'running', 'unpaused')
  t.ok(tcp.requests.some((request) => request.path.endsWith(`/containers/${paused.id}/unpause`)))
  await eventually(async () => (await machines(backend)).find((machine) => machine.id === paused.id)?.state === 'running')
})

t.test('an image the engine lacks is pulled first; one no registry has is 422 and makes nothing', async (t) => {
  const backend = json((await add({ host: hostOf(tcp) })).body).id as string
  const pulled = await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { ...body, name: 'pulled', image: 'alpine:3.20' } })
  t.equal(pulled.statusCode, 201, pulled.body)
  t.ok(tcp.requests.some((request) => request.path.startsWith('/v1.47/images/create?fromImage=alpine')), 'pulled')
  const count = tcp.containers.size
  const missing = await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { ...body, name: 'missing', image: 'no-such/image:1' } })
  t.equal(missing.statusCode, 422, missing.body)
  t.match(json(missing.body).detail, /could not be pulled/)
  t.equal(tcp.containers.size, count)
})

t.test('location: optional on Docker (or its one location, engine), required elsewhere (422)', async (t) => {
  const backend = json((await add({ host: hostOf(tcp) })).body).id as string
  const locations = json((await app.inject({ method: 'GET', url: `/backends/${backend}/locations` })).body) as Array<{ id: string }>
  t.same(locations.map((location) => location.id), ['engine'])
  t.equal((await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { ...body, name: 'here', location: 'engine' } })).statusCode, 201)
  t.equal((await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { ...body, name: 'there', location: 'eu-west' } })).statusCode, 422)
  const sizes = json((await app.inject({ method: 'GET', url: `/backends/${backend}/sizes` })).body) as Array<Record<string, unknown>>
  t.match(sizes, [{ id: 'default', price: 0 }], 'size default, price 0')
  const sandbox = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'vm', provider: 'sandbox', api_key: 'k' } })).body).id as string
  const key = json((await app.inject({ method: 'POST', url: '/keys', payload: { name: 'k' } })).body).id as string
  const noLocation = await app.inject({ method: 'POST', url: `/backends/${sandbox}/machines`, payload: { name: 'vm', key, size: 'sbx.small', image: 'debian-12' } })
  t.equal(noLocation.statusCode, 422, noLocation.body)
  t.match(json(noLocation.body).errors, [{ pointer: '/body/location' }])
})

t.test('a TLS engine: spoken to over HTTPS with the backend\'s ca_cert; the TLS material is sealed and never answered', async (t) => {
  const secure = await new DockerFake().start('https')
  t.teardown(() => secure.close())
  const host = secure.origin.replace(/^https:/, 'tcp:')
  const server = await buildTestApp(t, { cloudEnv: { DOCKER_ALLOWED_HOSTS: host } })
  const caCert = readFileSync('.test-ca/ca.pem', 'utf8')
  const added = await server.inject({ method: 'POST', url: '/backends', payload: { title: 'tls', provider: 'docker', host, ca_cert: caCert } })
  t.equal(added.statusCode, 201, added.body)
  t.notMatch(added.body, /BEGIN CERTIFICATE/)
  t.notMatch(JSON.stringify(await server.db.backend.findFirstOrThrow({ where: { id: json(added.body).id } })), /BEGIN CERTIFICATE/, 'sealed at rest')
  t.ok(secure.requests.length > 0, 'the engine answered over HTTPS')
  const plain = await server.inject({ method: 'POST', url: '/backends', payload: { title: 'plain', provider: 'docker', host } })
  t.equal(plain.statusCode, 503, 'without TLS material, a TLS engine is not spoken to in plain HTTP')
})
