import { GceDriver } from '../../../src/providers/gce/gce-driver.ts'
import { parseServiceAccountKey, type ServiceAccountKey } from '../../../src/providers/gce/service-account-key.ts'
import type { CallPolicy } from '../../../src/providers/driver.ts'
import type { GceFake } from '../../fakes/gce-fake.ts'

/** A driver of a new project of the fake, built straight (no server), for the driver's own behaviour. */
export function directGceDriver (fake: GceFake, options: { settings?: Record<string, unknown>, policy?: Partial<CallPolicy>, fields?: ReturnType<GceFake['project']> } = {}) {
  const fields = options.fields ?? fake.project()
  const warnings: Array<Record<string, unknown>> = []
  const driver = new GceDriver({
    id: 'direct',
    credentials: { private_key: fields.private_key },
    settings: { project_id: fields.project_id, zone: fields.zone, ...options.settings },
    policy: { timeoutMs: 5000, retries: 2, baseDelayMs: 10, maxDelayMs: 5000, ...options.policy },
    log: { warn: (details) => { warnings.push(details) } }
  }, { compute: fake.origin }, parseServiceAccountKey(fields.private_key) as ServiceAccountKey)
  return { driver, fields, project: fields.project_id, warnings }
}
