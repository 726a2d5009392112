import { Type } from '@sinclair/typebox'
import { DateTime, ShortId } from './common.ts'

const KeyName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._@-]*$' })
const KEY_TYPES = '(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com)'

export const KeyCreateBody = Type.Object({
  name: KeyName,
  public_key: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 16384,
    // The one-line form; its base64 must also decode to a key of the named type (else 422).
    // Spaces and tabs only: \\s would admit vertical tab and form feed, which no string here may hold.
    pattern: `^[ \\t\\r\\n]*${KEY_TYPES}[ \\t]+[A-Za-z0-9+/]+={0,2}([ \\t]+[^\\u0000-\\u001f\\u007f\\uFFFE\\uFFFF\\uD800-\\uDFFF]*)?[ \\t\\r\\n]*$`,
    description: 'OpenSSH public key ("ssh-ed25519 AAAA... comment"); omit it to have an Ed25519 pair generated'
  }))
}, { title: 'KeyCreate', additionalProperties: false, xml: { name: 'key' } })

/** mist.io's PUT /keys: a key registered from its private key. */
export const KeyImportBody = Type.Object({
  id: { ...KeyName, description: 'The key\'s name (mist.io calls it id; the key gets an id of its own)' },
  priv: Type.String({
    minLength: 1,
    maxLength: 16384,
    pattern: '^[ \\t\\r\\n]*-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/= \\t\\r\\n:,-]+-----END [A-Z ]*PRIVATE KEY-----[ \\t\\r\\n]*$',
    description: 'The private key, OpenSSH or PEM; it is sealed at rest and never answered again'
  })
}, { title: 'KeyImport', additionalProperties: false, xml: { name: 'key' } })

const keyFields = {
  id: ShortId,
  name: Type.String(),
  public_key: Type.String(),
  fingerprint: Type.String({ description: 'SHA256 fingerprint as ssh-keygen -l prints it' }),
  isDefault: Type.Boolean({ description: 'Used by machine creates that name no key (mist.io\'s name for it)' }),
  created_at: DateTime
}

export const Key = Type.Object(keyFields, { title: 'Key', xml: { name: 'key' } })
export const KeyList = Type.Array(Key, { xml: { name: 'keys' } })

export const KeyCreated = Type.Object({
  ...keyFields,
  private_key: Type.Optional(Type.String({ description: 'Only when the pair was generated, and only in this answer (it is kept encrypted, never returned again)' }))
}, { title: 'KeyCreated', xml: { name: 'key' } })

/** mist.io's bodiless POST /keys: a new pair, stored nowhere, for the client to register with PUT /keys. */
export const KeyPair = Type.Object({
  priv: Type.String({ description: 'An Ed25519 private key in OpenSSH format' }),
  public: Type.String({ description: 'Its public key, in OpenSSH\'s one-line form' })
}, { title: 'KeyPair', xml: { name: 'keypair' } })

export const KeyParams = Type.Object({ key_id: ShortId })
