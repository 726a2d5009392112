import { Type } from '@sinclair/typebox'
import { xmlMapNote } from '../../schemas/common.ts'

/**
 * The mist.io document's docker_* fields of a machine create: the docker provider's
 * machineFields (src/providers/driver.ts), which its driver receives as providerFields. The core
 * knows none of them. docker_command is required on docker backends (validateDockerMachine: the
 * backend is in the path, not the body, so no schema can say it).
 */
const PortKey = '^[0-9]{1,5}/(tcp|udp|sctp)$'
// Every string has a maxLength: the XML scan bounds a body's texts by its longest field.
const HostPort = Type.String({ maxLength: 5, pattern: '^([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$', description: '1-65535' })

// additionalProperties: false, because a Record keyed by a pattern leaves other keys open; the
// same pattern again as propertyNames, because the OpenAPI document (3.0, no patternProperties)
// keeps only that of a map's keys.
const EnvName = { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,254}$', maxLength: 255 }
const PortName = { pattern: PortKey, maxLength: 11 }
export const DockerMachineFields = {
  docker_env: Type.Optional(Type.Record(Type.String(EnvName), Type.String({ maxLength: 32768 }), {
    additionalProperties: false,
    propertyNames: EnvName,
    description: 'docker only: environment variables. ' + xmlMapNote
  })),
  docker_command: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'docker only, and required there' })),
  docker_exposed_ports: Type.Optional(Type.Record(Type.String(PortName), Type.Object({}, { additionalProperties: false }), {
    additionalProperties: false,
    propertyNames: PortName,
    description: 'docker only: "8888/tcp": {}. ' + xmlMapNote
  })),
  docker_port_bindings: Type.Optional(Type.Record(Type.String(PortName), Type.Array(Type.Object({
    HostPort,
    HostIp: Type.Optional(Type.String({ format: 'ipv4', maxLength: 15 }))
  }, { additionalProperties: false, xml: { name: 'binding' } }), { minItems: 1 }), {
    additionalProperties: false,
    propertyNames: PortName,
    description: 'docker only: "8888/tcp": [{"HostPort": "8888"}]. ' + xmlMapNote
  }))
}

/** What the schema cannot state: a container needs its command (422 without it). */
export function validateDockerMachine (fields: Record<string, unknown>): Array<{ field: string, detail: string }> {
  return fields.docker_command === undefined ? [{ field: 'docker_command', detail: 'required for docker backends' }] : []
}
