import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { digitaloceanHarness } from './harnesses.ts'
import { asStratus, startServer } from '../started-server.ts'
import { DigitalOceanFake } from '../fakes/digitalocean-fake.ts'

// The same scenarios against src/server.ts started as a process, pointed at the HTTPS fake by its
// environment alone: nothing in the server is told to trust the fake but NODE_EXTRA_CA_CERTS.
await runScenarios(t, await digitaloceanHarness(), 'started-server')

t.test('without the fake\'s CA in NODE_EXTRA_CA_CERTS the server does not trust it', async (t) => {
  const fake = await new DigitalOceanFake().start()
  t.teardown(() => fake.close())
  const token = 'dop_v1_' + 'c'.repeat(64)
  fake.account(token)
  const server = await startServer(t, { DIGITALOCEAN_API_URL: fake.url, NODE_EXTRA_CA_CERTS: '' })
  const stratus = asStratus(t, server)
  const answer = await stratus.inject({ method: 'POST', url: '/backends', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ title: 'untrusted', provider: 'digitalocean', token }) })
  t.equal(answer.statusCode, 503, answer.body)
  t.equal(fake.requests.length, 0, 'no request got through the TLS handshake')
  t.equal(await stratus.db.backend.count({ where: { title: 'untrusted' } }), 0, 'nothing stored')
})
