import { Type } from '@sinclair/typebox'
import { DateTime, ShortId } from './common.ts'

export const KeyCreateBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._@-]*$' }),
  public_key: Type.Optional(Type.String({ minLength: 1, maxLength: 16384, description: 'OpenSSH public key; omit it to have an Ed25519 pair generated' }))
}, { title: 'KeyCreate', additionalProperties: false, xml: { name: 'key' } })

const keyFields = {
  id: ShortId,
  name: Type.String(),
  public_key: Type.String(),
  fingerprint: Type.String({ description: 'SHA256 fingerprint as ssh-keygen -l prints it' }),
  created_at: DateTime
}

export const Key = Type.Object(keyFields, { title: 'Key', xml: { name: 'key' } })
export const KeyList = Type.Array(Key, { xml: { name: 'keys' } })

export const KeyCreated = Type.Object({
  ...keyFields,
  private_key: Type.Optional(Type.String({ description: 'Only when the pair was generated, and only in this answer (it is kept encrypted, never returned again)' }))
}, { title: 'KeyCreated', xml: { name: 'key' } })

export const KeyParams = Type.Object({ key_id: ShortId })
