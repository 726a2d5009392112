import t from 'tap'
import { DigitalOceanDriver } from '../../../src/providers/digitalocean/digitalocean-driver.ts'
import type { BackendConnection, ProviderDriver } from '../../../src/providers/driver.ts'
import { DigitalOceanFake } from '../../fakes/digitalocean-fake.ts'

// digitalocean-js keeps its token in one module-global axios instance (platform-notes.md): two
// backends of one process would send each other's token unless each has its own copy of the
// library. Two accounts' calls are interleaved here and every request is checked for its token.
t.test('two DigitalOcean backends used at once never send each other\'s token', async (t) => {
  const fake = await new DigitalOceanFake({ bootMs: 0, actionMs: 0 }).start()
  t.teardown(() => fake.close())
  // Answers held back at random, so that the two backends' requests overlap on the wire.
  fake.latencyMs = 15
  const accounts = ['dop_v1_' + 'a'.repeat(64), 'dop_v1_' + 'b'.repeat(64)] as const
  // Different shapes, so that a mixed-up token shows in the answers too: 450 droplets (3 pages), and 2.
  for (let i = 0; i < 450; i++) fake.addDroplet(accounts[0])
  for (let i = 0; i < 2; i++) fake.addDroplet(accounts[1])
  const connect = (token: string): ProviderDriver => new DigitalOceanDriver({
    id: token.slice(-8),
    credentials: { token },
    settings: {},
    policy: { timeoutMs: 10_000, retries: 0, baseDelayMs: 10, maxDelayMs: 100 },
    log: { warn: () => {} }
  } satisfies BackendConnection, fake.url)
  const drivers = accounts.map(connect)
  const owner = new Map<string, string>()
  for (const token of accounts) for (const droplet of fake.droplets(token)) owner.set(String(droplet.id), token)

  const rounds = 10
  const work = drivers.flatMap((driver, n) => Array.from({ length: rounds }, async (_, round) => {
    const listed = await driver.listMachines()
    const own = fake.droplets(accounts[n]!).map((droplet) => String(droplet.id)).sort()
    t.same(listed.map((machine) => machine.id).sort(), own, `backend ${n + 1}, round ${round + 1}: its own droplets, every page`)
    // Calls on one droplet each round: a wrong token is a 404 from the fake (another account's droplet).
    const droplet = own[round % own.length]!
    await driver.addTag!(droplet, `round-${round}`)
    await driver.checkCredentials()
  }))
  await Promise.all(work)

  const tokens = new Set(fake.requests.map((request) => request.token))
  t.same([...tokens].sort(), [...accounts].sort(), 'only the two tokens were sent')
  const pages = (token: string) => fake.requests.filter((request) => request.token === token && request.path.startsWith('/v2/droplets?')).length
  t.equal(pages(accounts[0]), rounds * 3, 'the large account\'s listings (3 pages each) carried its token')
  t.equal(pages(accounts[1]), rounds, 'the small account\'s listings (1 page each) carried its token')
  const onDroplets = fake.requests.filter((request) => /^\/v2\/tags\/[^/]+\/resources/.test(request.path))
  t.equal(onDroplets.length, rounds * 2, 'every tag attachment was made')
  // The attachment names its droplet only in the body; the tag ended up on that account's droplet.
  for (const [n, token] of accounts.entries()) {
    const tagged = fake.droplets(token).filter((droplet) => droplet.tags.some((tag) => tag.startsWith('round-')))
    t.ok(tagged.length > 0 && tagged.every((droplet) => owner.get(String(droplet.id)) === token), `backend ${n + 1}'s tags are on its own droplets`)
  }
  const interleaved = fake.requests.some((request, i) => i > 0 && request.token !== fake.requests[i - 1]!.token)
  t.ok(interleaved, 'the two backends\' requests were interleaved')
})
