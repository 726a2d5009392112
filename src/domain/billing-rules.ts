import { MACHINE_STATES, type MachineState } from './machine-states.ts'

/**
 * How each cloud bills a machine's compute, as data (docs/costs.md): in which of our states it
 * bills, in what steps, the least a start costs, and any monthly cap. Each rule names where it was
 * read and when; "today's understanding", to be checked against the cloud's pricing page again.
 * Disks, addresses and traffic are billed apart and are not here.
 */
export interface BillingRule {
  /** Our states in which the machine's compute bills. */
  billableStates: readonly MachineState[]
  /** The cloud's own statuses that bill although our state alone would say not (Azure's stopped but allocated VM). */
  billableProviderStates?: readonly string[]
  /** A run (from a start to the next non-billing state) is billed in steps of this many seconds: 1 per second, 3600 started hours. */
  stepSeconds: number
  /** The least a run is billed, however short. */
  minimumSeconds: number
  /** A calendar month (UTC) bills at most this many hours of the price; null where there is no cap. */
  monthlyCapHours: number | null
  /** Where the rule was read. */
  source: string
  /** When (YYYY-MM-DD). */
  checked: string
}

const ALL_BUT_GONE: readonly MachineState[] = ['pending', 'starting', 'running', 'rebooting', 'stopping', 'destroying', 'stopped', 'suspended', 'error', 'unknown']

export const BILLING_RULES: Readonly<Record<string, BillingRule>> = {
  ec2: {
    billableStates: ['running', 'rebooting'],
    stepSeconds: 1,
    minimumSeconds: 60,
    monthlyCapHours: null,
    source: 'Amazon EC2 API Reference, StartInstances and StopInstances: "Every time you start your instance, Amazon EC2 charges a one-minute minimum for instance usage, and thereafter charges per second"; a stopped instance is not charged (Linux; Windows bills started hours)',
    checked: '2026-12-06'
  },
  azure: {
    // Stratus's shutdown deallocates; a VM stopped from inside its OS stays allocated and bills.
    billableStates: ['pending', 'starting', 'running', 'rebooting', 'stopping'],
    billableProviderStates: ['PowerState/stopped'],
    stepSeconds: 1,
    minimumSeconds: 0,
    monthlyCapHours: null,
    source: 'Azure Compute REST and .NET references, Virtual Machines - Deallocate: "You are not billed for the compute resources that this virtual machine uses" once deallocated; PostShutdownAction: "StoppedDeallocated ... releases resources and stops billing" (a stopped, allocated VM still bills)',
    checked: '2026-12-06'
  },
  gce: {
    // Uptime runs until TERMINATED: RUNNING and STOPPING bill (our running, rebooting, stopping, destroying).
    billableStates: ['running', 'rebooting', 'stopping', 'destroying'],
    stepSeconds: 1,
    minimumSeconds: 60,
    monthlyCapHours: null,
    source: 'cloud.google.com/compute/vm-instance-pricing, "Billing model": "charged a minimum of 1 minute ... After 1 minute, instances are charged in 1 second increments"; "Instance uptime": from start until the instance is TERMINATED',
    checked: '2026-12-06'
  },
  digitalocean: {
    billableStates: ALL_BUT_GONE,
    stepSeconds: 3600,
    minimumSeconds: 3600,
    monthlyCapHours: 672,
    source: 'docs.digitalocean.com, doctl droplet-action power-off and shutdown: "Droplets that are powered off are still billable. To stop incurring charges on a Droplet, destroy it."; started hours up to a monthly cap of 672 hours (digitalocean.com/pricing as published until 2025; not re-read from here)',
    checked: '2026-12-06'
  },
  docker: {
    billableStates: [],
    stepSeconds: 1,
    minimumSeconds: 0,
    monthlyCapHours: null,
    source: 'a container costs nothing of its own (size default, price 0); its host is billed wherever it runs',
    checked: '2026-12-06'
  }
}

/** The simulator bills the states its backend's `billable_states` setting names (default running and rebooting), per second. */
export function sandboxRule (billableStates: readonly MachineState[] = ['running', 'rebooting']): BillingRule {
  return { billableStates, stepSeconds: 1, minimumSeconds: 0, monthlyCapHours: null, source: 'the backend\'s billable_states setting', checked: '2026-12-06' }
}

/** Whether a machine in this state (and the cloud's own status, where recorded) is billing. */
export const bills = (rule: BillingRule, state: MachineState, providerState: string | null = null): boolean =>
  rule.billableStates.includes(state) || (providerState !== null && (rule.billableProviderStates ?? []).includes(providerState))

/** The billing rule of a machine's provider; the simulator's from its backend's billable_states setting. */
export function billingRuleOf (provider: string, settings: unknown): BillingRule {
  if (provider === 'sandbox') {
    const states = (settings as { billable_states?: unknown } | null)?.billable_states
    return sandboxRule(Array.isArray(states) ? states.filter((state): state is MachineState => (MACHINE_STATES as readonly string[]).includes(String(state))) : undefined)
  }
  return BILLING_RULES[provider] ?? { ...sandboxRule(), source: `no billing rule is known for ${provider}: running and rebooting, per second` }
}
