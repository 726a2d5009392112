import fp from 'fastify-plugin'
import { SandboxDriver } from './sandbox-driver.ts'
import { readSandboxSettings, validateSandboxSettings } from './settings.ts'

/** The built-in simulator, registered like any cloud: one definition under its backend type. */
export default fp(async function sandboxProvider (app) {
  app.providers.define('sandbox', {
    machineKind: 'vm',
    credentialFields: ['api_key'],
    settingFields: ['boot_delay_ms', 'stop_delay_ms', 'faults'],
    validate (credentials, settings) {
      const problems = validateSandboxSettings(settings)
      if (typeof credentials.api_key !== 'string') problems.push('api_key is required for sandbox backends')
      return problems
    },
    connect: (backend) => new SandboxDriver(app.db, backend.id, readSandboxSettings(backend.settings))
  })
}, { name: 'provider-sandbox', dependencies: ['providers', 'database'] })
