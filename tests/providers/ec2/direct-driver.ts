import { Ec2Driver } from '../../../src/providers/ec2/ec2-driver.ts'
import type { CallPolicy } from '../../../src/providers/driver.ts'
import { EC2_REGION, type Ec2Fake } from '../../fakes/ec2-fake.ts'

/** A driver of a new account of the fake, built straight (no server), for the driver's own behaviour. */
export function directEc2Driver (fake: Ec2Fake, options: { settings?: Record<string, unknown>, account?: Parameters<Ec2Fake['account']>[0], policy?: Partial<CallPolicy> } = {}) {
  const credentials = fake.account(options.account)
  const warnings: Array<Record<string, unknown>> = []
  const driver = new Ec2Driver({
    id: 'direct',
    credentials,
    settings: { region: EC2_REGION, ...options.settings },
    policy: { timeoutMs: 5000, retries: 2, baseDelayMs: 10, maxDelayMs: 5000, ...options.policy },
    log: { warn: (details) => { warnings.push(details) } }
  }, { ec2: fake.origin, pricing: fake.origin })
  return { driver, credentials, warnings }
}
