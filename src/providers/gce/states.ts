import type { MachineState } from '../../domain/machine-states.ts'

/**
 * GCE instance statuses -> our states (docs/clouds.md, "Google Compute Engine"). TERMINATED is
 * GCE's word for stopped (the instance and its disks are kept); a deleted instance is simply gone
 * from the list. SUSPENDED keeps the memory on disk: `start` resumes it.
 */
export const INSTANCE_STATES: Readonly<Record<string, MachineState>> = {
  PROVISIONING: 'pending',
  STAGING: 'pending',
  RUNNING: 'running',
  STOPPING: 'stopping',
  SUSPENDING: 'stopping',
  SUSPENDED: 'suspended',
  TERMINATED: 'stopped',
  REPAIRING: 'pending'
}
