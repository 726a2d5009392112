import { Type } from '@sinclair/typebox'
import { xmlMapNote } from '../../schemas/common.ts'

/**
 * The mist.io document's docker_* fields of a machine create: the docker provider's
 * machineFields (src/providers/driver.ts), which its driver receives as providerFields. The core
 * knows none of them. docker_command is required on docker backends (validateDockerMachine: the
 * backend is in the path, not the body, so no schema can say it).
 */
const PortKey = '^[0-9]{1,5}/(tcp|udp|sctp)$'
const HostPort = Type.String({ pattern: '^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$', description: '1-65535' })

// additionalProperties: false, because a Record keyed by a pattern leaves other keys open.
export const DockerMachineFields = {
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
}

/** What the schema cannot state: a container needs its command (422 without it). */
export function validateDockerMachine (fields: Record<string, unknown>): Array<{ field: string, detail: string }> {
  return fields.docker_command === undefined ? [{ field: 'docker_command', detail: 'required for docker backends' }] : []
}
