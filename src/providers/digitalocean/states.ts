import type { MachineState } from '../../domain/machine-states.ts'

/**
 * DigitalOcean droplet `status` -> our state (docs/clouds.md, "DigitalOcean"). A droplet shows no status
 * of its own while an action runs (a shutdown reads "active" until it is "off"): the action itself
 * is followed to its end (the driver's followOperations).
 */
export const DROPLET_STATES: Readonly<Record<string, MachineState>> = {
  new: 'pending',
  active: 'running',
  off: 'stopped',
  archive: 'terminated'
}

/** Our actions as droplet action types (destroy is DELETE /droplets/{id}). */
export const DROPLET_ACTIONS = { start: 'power_on', shutdown: 'shutdown', reboot: 'reboot' } as const
