import { Type } from '@sinclair/typebox'
import { MACHINE_STATES } from '../domain/machine-states.ts'
import { MACHINE_ACTIONS } from '../domain/lifecycle.ts'
import { Name, ONE_LINE_PATTERN, ShortId, xmlMapNote } from './common.ts'

/** The backends API's machine shapes, field for field as in the mist.io document. */
const Extra = Type.Record(Type.String(), Type.Unknown(), { description: 'Provider-specific details. ' + xmlMapNote })
/** A listed machine's extra also says why its last action failed, where one did. */
const ListedExtra = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Provider-specific details, and `last_error` while there is one: the cloud\'s reason the last action or the create failed ' +
    '(e.g. "azure: AllocationFailed: ..."), until another action is accepted. ' + xmlMapNote
})
const Ips = (what: string) => Type.Array(Type.String({ xml: { name: 'ip' } }), { description: `${what} IP addresses` })

export const MachineState = Type.Union(MACHINE_STATES.map((s) => Type.Literal(s)), {
  description: 'Backends-API state; see docs/api.md, "Machine states", in the project for how it maps onto the machine API'
})

export const MistMachine = Type.Object({
  can_start: Type.Boolean(),
  can_reboot: Type.Boolean(),
  uuid: Type.String({ format: 'uuid' }),
  name: Type.String(),
  tags: Type.Array(Type.String({ xml: { name: 'tag' } })),
  can_stop: Type.Boolean(),
  can_destroy: Type.Boolean(),
  extra: ListedExtra,
  public_ips: Ips('Public'),
  private_ips: Ips('Private'),
  imageId: Type.Union([Type.String(), Type.Null()]),
  state: MachineState,
  can_tag: Type.Boolean(),
  id: Type.String({ description: 'The provider\'s machine id' }),
  size: Type.Union([Type.String(), Type.Null()])
}, { title: 'MistMachine', xml: { name: 'machine' }, description: 'can_* are true only when the action is valid now and the provider supports it' })

export const MistMachineList = Type.Array(MistMachine, { xml: { name: 'machines' } })

/** As in the document's example response to a create. */
export const MistMachineCreated = Type.Object({
  public_ips: Ips('Public'),
  extra: Extra,
  id: Type.String({ description: 'The provider\'s machine id (the backends API\'s {machine_id})' }),
  private_ips: Ips('Private'),
  name: Type.String(),
  uuid: Type.String({ format: 'uuid' }),
  machine_api_id: Type.Integer({ description: 'The machine API\'s id: GET /api/machine/{machine_api_id} (the Location header names the same URL)' })
}, { title: 'MistMachineCreated', xml: { name: 'machine' } })

/** The fields every provider's create body has; providers add their own (src/schemas/provider-bodies.ts). */
export const MachineCreateFields = {
  name: Name,
  key: Type.Optional({ ...ShortId, description: 'The SSH key\'s id; without it, your default key (POST /keys/{key_id}) is used' }),
  image: Type.String({ minLength: 1, maxLength: 255 }),
  location: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Where the machine goes (an id from the locations list); required by every provider but docker (422 without it), whose engine is one place' })),
  size: Type.String({ minLength: 1, maxLength: 255 }),
  script: Type.Optional(Type.String({ maxLength: 65536, description: 'Run once after provisioning (cloud user data)' })),
  monitoring: Type.Optional(Type.Boolean()),
  image_extra: Type.Optional(Type.String({ maxLength: 4096, description: 'Accepted for mist.io clients; no provider here reads it' })),
  disk: Type.Optional(Type.String({ maxLength: 64, description: 'Accepted for mist.io clients; no provider here reads it' })),
  ips: Type.Optional(Type.Array(Type.String({ maxLength: 64, xml: { name: 'ip' } }), { maxItems: 16, description: 'Accepted for mist.io clients; no provider here reads it' })),
  networks: Type.Optional(Type.Array(Type.String({ maxLength: 255, xml: { name: 'network' } }), { maxItems: 16, description: 'Accepted for mist.io clients; no provider here reads it' })),
  kind: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_-]*$', description: 'The machine API\'s kind; defaults to the provider\'s (vm or container)' }))
}

export interface MachineCreateBody {
  name: string
  key?: string
  image: string
  location?: string
  size: string
  script?: string
  monitoring?: boolean
  image_extra?: string
  disk?: string
  ips?: string[]
  networks?: string[]
  kind?: string
  [providerField: string]: unknown
}

/** The actions, and `stop`, which the 2014 mist.io client sends for shutdown. */
export const MachineActionBody = Type.Object({
  action: Type.Union([...MACHINE_ACTIONS, 'stop' as const].map((a) => Type.Literal(a)), { description: 'stop is the same as shutdown' })
}, { title: 'MachineAction', additionalProperties: false, xml: { name: 'machine' } })

export const TagBody = Type.Object({
  tag: Type.String({ minLength: 1, maxLength: 128, pattern: ONE_LINE_PATTERN })
}, { title: 'Tag', additionalProperties: false, xml: { name: 'metadata' } })

export const TagList = Type.Object({
  tags: Type.Array(Type.String({ xml: { name: 'tag' } }))
}, { title: 'TagList', xml: { name: 'metadata' } })

export const MachineParams = Type.Object({
  backend_id: ShortId,
  machine_id: Type.String({ minLength: 1, maxLength: 255 })
})
