import type { MachineState } from '../../domain/machine-states.ts'

/**
 * EC2 instance state names -> our states (docs/clouds.md, "Amazon EC2"). EC2 shows its own
 * transitional states in the listing, so there is no operation to follow: a pass reads them.
 * Terminated instances stay listed for about an hour: destroyed records, not running ones.
 */
export const INSTANCE_STATES: Readonly<Record<string, MachineState>> = {
  pending: 'pending',
  running: 'running',
  stopping: 'stopping',
  stopped: 'stopped',
  'shutting-down': 'destroying',
  terminated: 'terminated'
}
