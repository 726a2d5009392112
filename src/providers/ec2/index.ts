import { cloudPlugin } from '../kit/cloud-plugin.ts'
import { DeferredDriver } from '../kit/deferred-driver.ts'
import { EC2_CREDENTIALS, EC2_SETTINGS } from './fields.ts'
import { EC2_ENDPOINTS } from './endpoints.ts'

/** Amazon EC2 instances of one region, through @aws-sdk/client-ec2 (prices through @aws-sdk/client-pricing). */
export default cloudPlugin('ec2', EC2_ENDPOINTS, (endpoints) => ({
  title: 'Amazon EC2',
  machineKind: 'vm',
  credentials: EC2_CREDENTIALS,
  priceSource: 'AWS Price List Query API (GetProducts): Linux on-demand, shared tenancy, no pre-installed software, hourly USD',
  settings: EC2_SETTINGS,
  // EC2 throttles non-mutating calls by a token bucket per account and region: 100 tokens,
  // refilled 20 a second (docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html, read
  // 2026-12). A listing is pages of 1,000 instances.
  listingBudget: { requestsPerHour: 20 * 3600, machinesPerCall: 1000, callsPerListing: 1 },
  // EC2 may list an instance in the state an action started from for a few seconds after accepting it.
  staleGraceMs: 10_000,
  // @aws-sdk/client-ec2 is loaded with the driver, at a backend's first call (kit/deferred-driver.ts).
  connect: (backend) => new DeferredDriver({ followsOperations: false, tags: true }, async () => new (await import('./ec2-driver.ts')).Ec2Driver(backend, endpoints))
}))
