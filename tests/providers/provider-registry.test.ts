import t from 'tap'
import { SecretBox } from '../../src/domain/secret-box.ts'
import { ProviderRegistry } from '../../src/providers/provider-registry.ts'
import type { ProviderDriver } from '../../src/providers/driver.ts'

const POLICY = { timeoutMs: 1000, retries: 0, baseDelayMs: 10, maxDelayMs: 1000 }

t.test('drivers are kept for the most recently used backends only (DRIVER_CACHE_SIZE), the rest closed', async (t) => {
  const secrets = new SecretBox(Buffer.alloc(32, 3))
  const registry = new ProviderRegistry(secrets, { policy: POLICY, log: { warn: () => {} }, onCredentials: async () => {}, listingBudgetPercent: 0, driverCacheSize: 2 })
  const made: string[] = []
  const closed: string[] = []
  registry.define('counting', {
    title: 'Counting',
    machineKind: 'vm',
    priceSource: 'test',
    credentials: {},
    settings: {},
    connect: (backend) => {
      made.push(backend.id)
      return { close: async () => { closed.push(backend.id) } } as unknown as ProviderDriver
    }
  })
  const row = (id: string, updatedAt = new Date(0)) => ({ id, provider: 'counting', credentials: secrets.sealJson({}), settings: {}, updatedAt })
  registry.driverFor(row('a'))
  registry.driverFor(row('b'))
  registry.driverFor(row('a'))
  t.same(made, ['a', 'b'], 'a backend\'s driver is reused')
  registry.driverFor(row('c'))
  t.same(closed, ['b'], 'beyond the size, the least recently used driver is closed (b; a was used after it)')
  t.equal(registry.cachedDrivers, 2)
  registry.driverFor(row('b'))
  t.same(made, ['a', 'b', 'c', 'b'], 'an evicted backend gets a fresh driver when used again')
  t.same(closed, ['b', 'a'])
  registry.driverFor(row('c', new Date(1)))
  t.same(closed, ['b', 'a', 'c'], 'a changed backend row replaces its driver')
  t.equal(registry.cachedDrivers, 2)
})
