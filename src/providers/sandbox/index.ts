import fp from 'fastify-plugin'
import { SandboxDriver } from './sandbox-driver.ts'
import { SANDBOX_CREDENTIALS, SANDBOX_SETTINGS } from './fields.ts'
import { readSandboxSettings } from './settings.ts'

/** The built-in simulator, registered like any cloud: one definition under its backend type. */
export default fp(async function sandboxProvider (app) {
  app.providers.define('sandbox', {
    title: 'Sandbox (simulator)',
    machineKind: 'vm',
    credentials: SANDBOX_CREDENTIALS,
    settings: SANDBOX_SETTINGS,
    connect: (backend) => new SandboxDriver(app.db, backend.id, readSandboxSettings(backend.settings))
  })
}, { name: 'provider-sandbox', dependencies: ['providers', 'database'] })
