/** The sandbox's per-backend knobs: how slowly it works and which operations fail, and how. */
export const SANDBOX_OPERATIONS = ['credentials', 'catalog', 'list', 'create', 'start', 'shutdown', 'reboot', 'destroy', 'tag'] as const
export type SandboxOperation = (typeof SANDBOX_OPERATIONS)[number]

export const SANDBOX_FAULTS = ['timeout', 'unavailable', 'rate-limited', 'server-error', 'credentials-rejected'] as const
export type SandboxFault = (typeof SANDBOX_FAULTS)[number]

export interface SandboxSettings {
  bootDelayMs: number
  stopDelayMs: number
  faults: Partial<Record<SandboxOperation, SandboxFault>>
}

export const DEFAULT_BOOT_DELAY_MS = 2000
export const DEFAULT_STOP_DELAY_MS = 1000

export function readSandboxSettings (settings: Record<string, unknown>): SandboxSettings {
  return {
    bootDelayMs: typeof settings.boot_delay_ms === 'number' ? settings.boot_delay_ms : DEFAULT_BOOT_DELAY_MS,
    stopDelayMs: typeof settings.stop_delay_ms === 'number' ? settings.stop_delay_ms : DEFAULT_STOP_DELAY_MS,
    faults: (settings.faults ?? {}) as SandboxSettings['faults']
  }
}
