import type { restorePoller } from '@azure/arm-compute'
import type { MachineAction } from '../../domain/lifecycle.ts'
import type { AzureClients } from './connection.ts'

/** Azure's long-running operations: which SDK operation an action is, and how one that failed reads. */

/** An operation's poller state, as it is kept on the machine (the same data in version 0). */
export interface SerializedOperation { action: MachineAction | 'create', poller: string }
export const POLLER_KIND = 'azure-poller'

export const isFailed = (status: string | undefined): boolean => status === 'failed' || status === 'canceled'

/** The SDK operation of an action. */
export const vmOperation = (azure: AzureClients, action: MachineAction) => {
  const vms = azure.compute.virtualMachines
  if (action === 'start') return vms.start
  if (action === 'shutdown') return vms.deallocate
  if (action === 'reboot') return vms.restart
  return vms.delete
}

/** The SDK operation a serialized poller came from, as restorePoller names its source. */
export const sourceOf = (azure: AzureClients, action: SerializedOperation['action']): Parameters<typeof restorePoller>[2] =>
  action === 'create' ? azure.compute.virtualMachines.createOrUpdate : vmOperation(azure, action)

/**
 * The cloud's reason an operation failed, as "Code: message". core-lro folds ARM's error into its
 * own message ("The long-running operation has failed. Code. message"); that is unfolded here.
 */
export function operationError (error: unknown): string {
  const failure = error as { code?: string, message?: string } | undefined
  const folded = /^The long-running operation has failed\. ([\w.-]+?)\. (.*)$/s.exec(failure?.message ?? '')
  const [code, message] = folded === null ? [failure?.code, failure?.message] : [folded[1], folded[2]]
  const text = [code, message].filter((part) => part !== undefined && part !== '').join(': ')
  return `azure: ${(text === '' ? 'the operation failed' : text).slice(0, 300)}`
}
