import type { MachineState } from '../../domain/machine-states.ts'

/**
 * Azure instance-view codes -> our state (docs/clouds.md, "Azure"). A provisioning state that says the
 * VM is being made, deleted or has failed wins; otherwise the power state tells.
 */
export const AZURE_STATES: Readonly<Record<string, MachineState>> = {
  'ProvisioningState/creating': 'pending',
  'ProvisioningState/deleting': 'destroying',
  'ProvisioningState/failed': 'error',
  'PowerState/starting': 'starting',
  'PowerState/running': 'running',
  'PowerState/stopping': 'stopping',
  'PowerState/stopped': 'stopped',
  'PowerState/deallocating': 'stopping',
  'PowerState/deallocated': 'stopped',
  'PowerState/unknown': 'unknown'
}

/** Provisioning states that say what the VM is, whatever its power. */
export const DECISIVE_PROVISIONING = new Set(['ProvisioningState/creating', 'ProvisioningState/deleting', 'ProvisioningState/failed'])
