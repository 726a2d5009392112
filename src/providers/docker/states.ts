import type { MachineState } from '../../domain/machine-states.ts'

/**
 * Docker container states (GET /containers/json, `State`) -> our states (docs/clouds.md, "Docker").
 * A paused container is suspended (`start` unpauses it); a removed one is gone from the list.
 */
export const CONTAINER_STATES: Readonly<Record<string, MachineState>> = {
  created: 'pending',
  running: 'running',
  paused: 'suspended',
  restarting: 'rebooting',
  removing: 'destroying',
  exited: 'stopped',
  dead: 'error'
}
