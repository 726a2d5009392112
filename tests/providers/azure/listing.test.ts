import t from 'tap'
import { ProviderError } from '../../../src/providers/provider-error.ts'
import { AzureFake } from '../../fakes/azure-fake.ts'
import { directAzureDriver } from './direct-driver.ts'
import { buildTestApp } from '../../helper.ts'

// A listing is three paged lists at once (VMs, NICs, public IPs). When one fails for good, the
// listing has failed: the other two must stop, not go on retrying behind the caller's back.
t.test('when one of a listing\'s three lists fails for good, the other two stop retrying', async (t) => {
  const fake = await new AzureFake().start()
  t.teardown(() => fake.close())
  const { driver } = directAzureDriver(fake, 'listing')
  await driver.checkCredentials()
  const onList = (resource: string) => (request: { url: URL }) => request.url.pathname.endsWith(`/providers/${resource}`)
  // The NICs and IPs ask for a second's pause, three times; meanwhile the VMs are refused (not retried).
  fake.faults.add({ status: 403, times: 1, delayMs: 300, match: onList('Microsoft.Compute/virtualMachines') })
  for (const resource of ['Microsoft.Network/networkInterfaces', 'Microsoft.Network/publicIPAddresses']) {
    fake.faults.add({ status: 429, times: 3, headers: { 'retry-after': '1' }, match: onList(resource) })
  }
  const listCalls = () => fake.requests.filter((request) => /\/providers\/Microsoft\.(Compute|Network)\//.test(request.path)).length
  const failure = await driver.listMachines().catch((error: unknown) => error)
  t.ok(failure instanceof ProviderError && failure.failure === 'credentials-rejected', 'the listing fails with the refusal')
  const answered = listCalls()
  t.equal(answered, 3, `one call of each list: ${fake.requests.map((request) => request.path.split('?')[0]!.split('/').slice(-2).join('/')).join(', ')}`)
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.equal(listCalls(), answered, 'no retry after the listing failed (each would have come a second later)')
})

t.test('an unknown tenant is told from an unreachable authority when credentials are checked, not in every error', async (t) => {
  const fake = await new AzureFake().start()
  t.teardown(() => fake.close())
  const app = await buildTestApp(t, { cloudEnv: { AZURE_AUTHORITY_HOST: fake.origin, AZURE_RESOURCE_MANAGER_URL: fake.origin, AZURE_PRICES_URL: `${fake.origin}/api/retail/prices` } })
  const principal = fake.principal()
  const unknown = await app.inject({ method: 'POST', url: '/backends', payload: { title: 'azure', provider: 'azure', ...principal, tenant_id: '00000000-0000-4000-8000-000000000000', resource_group: 'g', region: 'westeurope' } })
  t.equal(unknown.statusCode, 422, unknown.body)
  t.match(JSON.parse(unknown.body), { type: '/problems/credentials-rejected', detail: /does not know this tenant/ })
  const away = await buildTestApp(t, { cloudEnv: { AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9', AZURE_RESOURCE_MANAGER_URL: fake.origin, AZURE_PRICES_URL: `${fake.origin}/api/retail/prices` } })
  const unreachable = await away.inject({ method: 'POST', url: '/backends', payload: { title: 'azure', provider: 'azure', ...principal, resource_group: 'g', region: 'westeurope' } })
  t.equal(unreachable.statusCode, 503, unreachable.body)
  t.equal(await app.db.backend.count() + await away.db.backend.count(), 0, 'nothing stored')
})
