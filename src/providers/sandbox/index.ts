import { cloudPlugin } from '../kit/cloud-plugin.ts'
import { SandboxDriver } from './sandbox-driver.ts'
import { SANDBOX_CREDENTIALS, SANDBOX_SETTINGS } from './fields.ts'
import { readSandboxSettings } from './settings.ts'

/** The built-in simulator, registered like any cloud: one definition under its backend type (its cloud side is a table). */
export default cloudPlugin('sandbox', {}, (_endpoints, app) => ({
  title: 'Sandbox (simulator)',
  machineKind: 'vm',
  credentials: SANDBOX_CREDENTIALS,
  priceSource: 'the simulator\'s own list (not a real price)',
  settings: SANDBOX_SETTINGS,
  connect: (backend) => new SandboxDriver(app.db, backend.id, readSandboxSettings(backend.settings))
}), ['database'])
