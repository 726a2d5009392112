import t from 'tap'
import fp from 'fastify-plugin'
import { SandboxDriver } from '../../src/providers/sandbox/sandbox-driver.ts'
import { readSandboxSettings } from '../../src/providers/sandbox/settings.ts'
import { SANDBOX_CREDENTIALS, SANDBOX_SETTINGS } from '../../src/providers/sandbox/fields.ts'
import { DockerFake } from '../fakes/docker-fake.ts'
import { buildTestApp, json } from '../helper.ts'

/**
 * The docker_* fields of the create body are validated by this server before the engine is
 * asked: docker_* only for docker backends, docker_command required there, key and location
 * optional, ports and bindings well-formed, in JSON and in XML (whose map keys like "8888/tcp"
 * are <entry key="8888/tcp">). A fake engine is the Docker backend.
 */
const engine = await new DockerFake().start('http')
t.teardown(() => engine.close())
const cloudEnv = { DOCKER_ALLOWED_HOSTS: engine.origin.replace(/^http:/, 'tcp:') }

/** A provider whose plugin a second server does not load (the simulator under another name). */
const containersOnSandbox = fp(async (app) => {
  app.providers.define('lxd', {
    title: 'LXD (served by the simulator)',
    machineKind: 'container',
    priceSource: 'test',
    credentials: SANDBOX_CREDENTIALS,
    settings: SANDBOX_SETTINGS,
    needsKey: false,
    connect: (backend) => new SandboxDriver(app.db, backend.id, readSandboxSettings(backend.settings))
  })
})

t.test('docker_* fields are accepted and validated for docker backends', async (t) => {
  const app = await buildTestApp(t, { cloudEnv }, { providers: [containersOnSandbox] })
  const sandbox = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'vm', provider: 'sandbox', api_key: 'k' } })).body).id
  const onSandbox = await app.inject({ method: 'POST', url: `/backends/${sandbox}/machines`, payload: { name: 'x', size: 'sbx.small', image: 'debian-12', location: 'sbx-eu-1', docker_command: '/bin/sh' } })
  t.equal(onSandbox.statusCode, 422, 'docker fields do not apply to a sandbox backend')
  t.match(json(onSandbox.body).errors, [{ pointer: '/body/docker_command' }])
  const backend = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'docker', provider: 'docker', host: cloudEnv.DOCKER_ALLOWED_HOSTS } })).body).id
  const create = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload })
  const base = { name: 'UbuntuContainer', size: 'default', image: 'ubuntu:24.04' }

  const missingCommand = await create(base)
  t.equal(missingCommand.statusCode, 422, 'required on docker backends: a rule no schema can state, since the backend is in the path')
  t.match(json(missingCommand.body).errors, [{ pointer: '/body/docker_command' }])
  t.equal((await create({ ...base, docker_command: '/bin/bash', docker_exposed_ports: { 8888: {} } })).statusCode, 400, 'port keys read 8888/tcp')
  t.equal((await create({ ...base, docker_command: '/bin/bash', docker_port_bindings: { '8888/tcp': [{ HostPort: '88888' }] } })).statusCode, 400, 'the document\'s own HostPort 88888 is out of range')
  t.equal((await create({ ...base, docker_command: '/bin/bash', docker_env: { 'BAD-NAME': 'x' } })).statusCode, 400)
  t.equal(await app.db.machine.count(), 0)
  t.equal(engine.containers.size, 0, 'the engine was never asked')

  // The document's example, with a host port that exists, and no key (optional on docker).
  const created = await create({
    ...base,
    docker_env: { SOMEVAR: 'True', SOMEOTHERVAR: 'False' },
    docker_command: '/bin/bash',
    docker_exposed_ports: { '8888/tcp': {}, '4977/tcp': {} },
    docker_port_bindings: { '8888/tcp': [{ HostPort: '8888' }], '4977/tcp': [{ HostPort: '4977' }] }
  })
  t.equal(created.statusCode, 201, created.body)
  const viaXml = await app.inject({
    method: 'POST',
    url: `/backends/${backend}/machines`,
    headers: { 'content-type': 'application/xml' },
    payload: '<machine><name>x</name><size>default</size><image>debian:12</image><docker_command>/bin/sh -c "sleep 1d"</docker_command>' +
      '<docker_exposed_ports><entry key="8888/tcp"></entry></docker_exposed_ports>' +
      '<docker_port_bindings><entry key="8888/tcp"><binding><HostPort>8890</HostPort></binding></entry></docker_port_bindings></machine>'
  })
  t.equal(viaXml.statusCode, 201, viaXml.body)
  const details = json((await app.inject({ method: 'GET', url: created.headers.location as string })).body)
  t.equal(details.kind, 'container', 'the provider\'s kind')
  const made = [...engine.containers.values()]
  t.same(made.map((container) => [container.image, container.cmd, container.state]), [
    ['ubuntu:24.04', ['/bin/bash'], 'running'],
    ['debian:12', ['/bin/sh', '-c', 'sleep 1d'], 'running']
  ], 'docker_command as the engine\'s Cmd, split into words as a shell would')
  t.same(made[0]!.env.sort(), ['SOMEOTHERVAR=False', 'SOMEVAR=True'])
  t.same(made[1]!.bindings, { '8888/tcp': [{ HostPort: '8890' }] }, 'the XML body\'s binding')
})

t.test('a backend whose provider another server does not load is unavailable there (503), its records still read', async (t) => {
  const app = await buildTestApp(t, { cloudEnv }, { providers: [containersOnSandbox] })
  const backend = json((await app.inject({ method: 'POST', url: '/backends', payload: { title: 'lxd', provider: 'lxd', api_key: 'k', boot_delay_ms: 0 } })).body).id
  const created = await app.inject({ method: 'POST', url: `/backends/${backend}/machines`, payload: { name: 'c1', size: 'sbx.small', image: 'debian-12', location: 'sbx-eu-1' } })
  t.equal(created.statusCode, 201, created.body)
  const without = await buildTestApp(t, { databaseUrl: app.databaseUrl })
  for (const [method, url, payload] of [['GET', `/backends/${backend}/machines`], ['GET', `/backends/${backend}/images`], ['PUT', `/backends/${backend}`, { title: 'x' }],
    ['POST', `${created.headers.location as string}/control`, { action: 'stop' }]] as const) {
    const res = await without.inject({ method, url, payload })
    t.equal(res.statusCode, 503, `${method} ${url}`)
    t.equal(json(res.body).type, '/problems/provider-unavailable')
  }
  t.equal((await without.inject({ method: 'GET', url: created.headers.location as string })).statusCode, 200)
  t.equal((await without.inject({ method: 'GET', url: `/backends/${backend}/sizes` })).statusCode, 200, 'prices fetched earlier are still served from the cache')
})
