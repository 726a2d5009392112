/**
 * A cloud's long-running operation as it is kept on the machine (machines.operation) until it
 * ends, so that whichever server's sync runs next can follow it, after an upgrade too: a
 * versioned, self-describing value. `kind` names what `data` is (a DigitalOcean action, an Azure
 * poller's state); `v` is the version of that shape.
 */
export interface OperationRef {
  v: number
  kind: string
  data: unknown
}

/** The version written now. Version 0: the unversioned JSON stored before versions existed. */
export const OPERATION_REF_VERSION = 1

export const operationRef = (kind: string, data: unknown): OperationRef => ({ v: OPERATION_REF_VERSION, kind, data })

export const encodeOperationRef = (ref: OperationRef): string => JSON.stringify(ref)

/**
 * What was stored, as a reference. A value without `v` was written before references were
 * versioned (`{"type","id"}` for DigitalOcean, `{"action","poller"}` for Azure): version 0, its
 * whole value the data, its kind 'legacy' for the driver to recognise by shape.
 */
export function decodeOperationRef (stored: string): OperationRef {
  let value: unknown
  try {
    value = JSON.parse(stored)
  } catch {
    return { v: 0, kind: 'legacy', data: stored }
  }
  if (value !== null && typeof value === 'object' && typeof (value as OperationRef).v === 'number' && typeof (value as OperationRef).kind === 'string') {
    return value as OperationRef
  }
  return { v: 0, kind: 'legacy', data: value }
}
