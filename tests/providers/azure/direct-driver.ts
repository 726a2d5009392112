import { AzureDriver } from '../../../src/providers/azure/azure-driver.ts'
import type { CallPolicy } from '../../../src/providers/driver.ts'
import type { AzureFake } from '../../fakes/azure-fake.ts'

/** A driver of a new principal of the fake, built straight (no server), for the driver's own behaviour. */
export function directAzureDriver (fake: AzureFake, id: string, policy: Partial<CallPolicy> = {}) {
  const principal = fake.principal()
  const driver = new AzureDriver({
    id,
    credentials: principal,
    settings: { subscription_id: principal.subscription_id, resource_group: 'stratus-rg', region: 'westeurope' },
    policy: { timeoutMs: 5000, retries: 3, baseDelayMs: 10, maxDelayMs: 5000, ...policy },
    log: { warn: () => {} }
  }, { authorityHost: fake.origin, resourceManagerUrl: fake.origin, pricesUrl: `${fake.origin}/api/retail/prices` })
  return { driver, principal }
}
