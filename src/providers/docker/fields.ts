import { Type } from '@sinclair/typebox'

const PEM = (what: string) => Type.Optional(Type.String({
  minLength: 32,
  maxLength: 16384,
  pattern: '^-----BEGIN [A-Z ]{1,40}-----[\\x20-\\x7e\\r\\n]{1,16300}-----END [A-Z ]{1,40}-----\\n?$',
  description: `${what} (PEM); a credential, sealed, never returned`
}))

/** A Docker backend's fields: the engine's address (a setting), and its TLS material (credentials). */
export const DOCKER_CREDENTIALS = {
  ca_cert: PEM('The CA that signed the engine\'s certificate, for tcp:// with TLS'),
  cert: PEM('The client certificate the engine asks for (TLS client auth)'),
  key: PEM('The client certificate\'s private key')
}

export const DOCKER_SETTINGS = {
  host: Type.String({
    minLength: 9,
    maxLength: 1024,
    pattern: '^(unix:///[^\\s,]{1,1015}|tcp://[0-9a-fA-F:.\\[\\]]{3,60}:[0-9]{1,5})$',
    examples: ['unix:///var/run/docker.sock', 'tcp://10.0.0.5:2376'],
    description: 'The engine: unix:///absolute/path, or tcp://IP:PORT (IPv6 in brackets); the server\'s DOCKER_ALLOWED_HOSTS must allow it'
  })
}
