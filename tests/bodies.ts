import type { ProviderDefinition } from '../src/providers/driver.ts'
import { SANDBOX_CREDENTIALS, SANDBOX_SETTINGS } from '../src/providers/sandbox/fields.ts'
import { backendCreateBody, backendUpdateBody, machineCreateBody } from '../src/schemas/provider-bodies.ts'

/** The provider-built body schemas as a server with only the sandbox loaded builds them, for encoding test bodies. */
const sandbox: ProviderDefinition = {
  title: 'Sandbox (simulator)',
  machineKind: 'vm',
  priceSource: 'test',
  credentials: SANDBOX_CREDENTIALS,
  settings: SANDBOX_SETTINGS,
  connect: () => { throw new Error('schemas only') }
}
const definitions = [['sandbox', sandbox]] as const

export const BackendCreateBody = backendCreateBody(definitions)
export const BackendUpdateBody = backendUpdateBody(definitions)
export const MachineCreateBody = machineCreateBody(definitions)
