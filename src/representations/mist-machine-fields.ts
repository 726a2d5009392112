import type { Machine } from '../generated/prisma/client.ts'
import type { MachineAction } from '../domain/lifecycle.ts'
import { bills, type BillingRule } from '../domain/billing-rules.ts'

/** What the backends API shows of a machine in a list, as read from its record. */
export type MistMachineRow = Pick<Machine, 'uuid' | 'name' | 'tags' | 'extra' | 'publicIps' | 'privateIps' | 'image' | 'state' | 'providerId' | 'size' | 'lastError' | 'providerState'>

/** A field recorded on the machine: how JS reads it from a row, and how PostgreSQL writes it as JSON text. */
interface RecordedField {
  key: string
  value: (row: MistMachineRow, rule: BillingRule) => unknown
  /**
   * A SQL expression over the machines table giving the field's value as JSON text; $2 and $3 are
   * the backend's billing rule's billable states and cloud statuses (billingParameters).
   */
  json: string
}

/** A can_* flag: true when the action is valid now and the backend's provider supports it (null: tagging). */
interface CapabilityField { key: string, action: MachineAction | null }

export type MistMachineField = RecordedField | CapabilityField

export const isCapability = (field: MistMachineField): field is CapabilityField => 'action' in field

/**
 * A listed machine's fields, in the backends API document's order (schemas/mist-machine.ts,
 * MistMachine; a test holds the two together). The one list the object (for XML and for lists
 * answered from a pass) and the JSON text PostgreSQL writes for a list are both made from.
 */
export const MIST_MACHINE_FIELDS: readonly MistMachineField[] = [
  { key: 'can_start', action: 'start' },
  { key: 'can_reboot', action: 'reboot' },
  { key: 'uuid', value: (row) => row.uuid, json: 'to_json(uuid::text)' },
  { key: 'name', value: (row) => row.name, json: 'to_json(name)' },
  { key: 'tags', value: (row) => row.tags, json: 'to_json(tags)' },
  { key: 'can_stop', action: 'shutdown' },
  { key: 'can_destroy', action: 'destroy' },
  {
    // While there is one, the cloud's reason the last action failed shows in extra; and whether
    // the machine is billing now by its cloud's rule (docs/costs.md): extra is the document's open map.
    key: 'extra',
    value: (row, rule) => ({
      ...row.extra as Record<string, unknown>,
      ...(row.lastError === null ? {} : { last_error: row.lastError }),
      billing_now: bills(rule, row.state, row.providerState)
    }),
    json: "(CASE WHEN last_error IS NULL THEN extra ELSE extra || jsonb_build_object('last_error', last_error) END || " +
      "jsonb_build_object('billing_now', state::text = ANY($2::text[]) OR coalesce(provider_state = ANY($3::text[]), false)))::text"
  },
  { key: 'public_ips', value: (row) => row.publicIps, json: 'to_json(public_ips)' },
  { key: 'private_ips', value: (row) => row.privateIps, json: 'to_json(private_ips)' },
  { key: 'imageId', value: (row) => row.image, json: "coalesce(to_json(image)::text, 'null')" },
  { key: 'state', value: (row) => row.state, json: 'to_json(state::text)' },
  { key: 'can_tag', action: null },
  { key: 'id', value: (row) => row.providerId, json: 'to_json(provider_id)' },
  { key: 'size', value: (row) => row.size, json: "coalesce(to_json(size)::text, 'null')" }
]

/** A run of recorded fields between two can_* flags: one column of JSON text, part0, part1, ... */
interface JsonPart { part: number, fields: RecordedField[] }

/**
 * A list's JSON text, laid out once for both its halves: each can_* flag (which JS adds per row),
 * and each run of recorded fields between them as one part PostgreSQL writes (jsonPartsSql), so
 * that ten thousand rows are neither parsed into objects nor serialized again.
 */
export const JSON_LAYOUT: ReadonlyArray<CapabilityField | JsonPart> = MIST_MACHINE_FIELDS.reduce<Array<CapabilityField | JsonPart>>((layout, field) => {
  const last = layout.at(-1)
  if (isCapability(field)) layout.push(field)
  else if (last !== undefined && 'part' in last) last.fields.push(field)
  else layout.push({ part: layout.filter((item) => 'part' in item).length, fields: [field] })
  return layout
}, [])

/** The parts as SQL select items, each `"key":value` pairs of JSON text. */
export const jsonPartsSql = (): string => JSON_LAYOUT.flatMap((item) => 'part' in item
  ? [`${item.fields.map((field, i) => `'${i === 0 ? '' : ','}"${field.key}":' || ${field.json}`).join(' || ')} AS part${item.part}`]
  : []).join(',\n    ')

/** The billing rule as the list's SQL takes it ($2, $3): array literals of enum labels and cloud statuses, never user text. */
export const billingParameters = (rule: BillingRule): [string, string] =>
  [`{${rule.billableStates.join(',')}}`, `{${(rule.billableProviderStates ?? []).map((status) => `"${status}"`).join(',')}}`]
