import { Type } from '@sinclair/typebox'
import { MACHINE_STATES } from '../domain/machine-states.ts'
import { MACHINE_ACTIONS } from '../domain/lifecycle.ts'
import { Name, ShortId, xmlMapNote } from './common.ts'

/** The backends API's machine shapes, field for field as in the mist.io document. */
const Extra = Type.Record(Type.String(), Type.Unknown(), { description: 'Provider-specific details. ' + xmlMapNote })
const Ips = (what: string) => Type.Array(Type.String({ xml: { name: 'ip' } }), { description: `${what} IP addresses` })

export const MachineState = Type.Union(MACHINE_STATES.map((s) => Type.Literal(s)), {
  description: 'Backends-API state; see README "Machine states" for how it maps onto the machine API'
})

export const MistMachine = Type.Object({
  can_start: Type.Boolean(),
  can_reboot: Type.Boolean(),
  uuid: Type.String({ format: 'uuid' }),
  name: Type.String(),
  tags: Type.Array(Type.String({ xml: { name: 'tag' } })),
  can_stop: Type.Boolean(),
  can_destroy: Type.Boolean(),
  extra: Extra,
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
  id: Type.String(),
  private_ips: Ips('Private'),
  name: Type.String()
}, { title: 'MistMachineCreated', xml: { name: 'machine' } })

const PortKey = '^[0-9]{1,5}/(tcp|udp|sctp)$'
const HostPort = Type.String({ pattern: '^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$', description: '1-65535' })

export const MachineCreateBody = Type.Object({
  name: Name,
  key: Type.Optional(ShortId),
  image: Type.String({ minLength: 1, maxLength: 255 }),
  location: Type.String({ minLength: 1, maxLength: 255 }),
  size: Type.String({ minLength: 1, maxLength: 255 }),
  script: Type.Optional(Type.String({ maxLength: 65536, description: 'Run once after provisioning' })),
  monitoring: Type.Optional(Type.Boolean()),
  image_extra: Type.Optional(Type.String({ maxLength: 4096 })),
  disk: Type.Optional(Type.String({ maxLength: 64 })),
  kind: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z][A-Za-z0-9_-]*$', description: 'The machine API\'s kind; defaults to the provider\'s (vm or container)' })),
  // additionalProperties: false, because a Record keyed by a pattern leaves other keys open.
  docker_env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String({ maxLength: 32768 }), {
    additionalProperties: false,
    description: 'docker only: environment variables. ' + xmlMapNote
  })),
  docker_command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'docker only, and required there' })),
  docker_exposed_ports: Type.Optional(Type.Record(Type.String({ pattern: PortKey }), Type.Object({}, { additionalProperties: false }), {
    additionalProperties: false,
    description: 'docker only: "8888/tcp": {}. ' + xmlMapNote
  })),
  docker_port_bindings: Type.Optional(Type.Record(Type.String({ pattern: PortKey }), Type.Array(Type.Object({
    HostPort,
    HostIp: Type.Optional(Type.String({ format: 'ipv4' }))
  }, { additionalProperties: false, xml: { name: 'binding' } }), { minItems: 1 }), {
    additionalProperties: false,
    description: 'docker only: "8888/tcp": [{"HostPort": "8888"}]. ' + xmlMapNote
  }))
}, { title: 'MachineCreate', additionalProperties: false, xml: { name: 'machine' } })

export const MachineActionBody = Type.Object({
  action: Type.Union(MACHINE_ACTIONS.map((a) => Type.Literal(a)))
}, { title: 'MachineAction', additionalProperties: false, xml: { name: 'machine' } })

export const TagBody = Type.Object({
  tag: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f\\u007f]+$' })
}, { title: 'Tag', additionalProperties: false, xml: { name: 'metadata' } })

export const TagList = Type.Object({
  tags: Type.Array(Type.String({ xml: { name: 'tag' } }))
}, { title: 'TagList', xml: { name: 'metadata' } })

export const MachineParams = Type.Object({
  backend_id: ShortId,
  machine_id: Type.String({ minLength: 1, maxLength: 255 })
})
