import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto'

/** SSH public keys in OpenSSH's one-line form, and generation of new Ed25519 key pairs. */

const KEY_TYPES = new Set([
  'ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'
])

export interface ParsedPublicKey { type: string, blob: Buffer, line: string }

/** Parses "type base64 [comment]"; null when it is not a well-formed OpenSSH public key. */
export function parsePublicKey (text: string): ParsedPublicKey | null {
  const parts = text.trim().split(/\s+/)
  const [type, data] = parts
  if (type === undefined || data === undefined || !KEY_TYPES.has(type)) return null
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return null
  const blob = Buffer.from(data, 'base64')
  // The blob starts with its own type as an SSH string; a mismatch means a pasted fragment.
  if (blob.length < 4) return null
  const nameLength = blob.readUInt32BE(0)
  if (blob.subarray(4, 4 + nameLength).toString('latin1') !== type) return null
  return { type, blob, line: parts.slice(0, 3).join(' ') }
}

/** OpenSSH's SHA256 fingerprint, as `ssh-keygen -lf` prints it. */
export const fingerprintOf = (key: ParsedPublicKey): string =>
  'SHA256:' + createHash('sha256').update(key.blob).digest('base64').replace(/=+$/, '')

const sshString = (data: Buffer | string): Buffer => {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  return Buffer.concat([length, bytes])
}

/** A new Ed25519 key pair: the public key in OpenSSH form and the private key in OpenSSH PEM. */
export function generateKeyPair (comment: string): { publicKey: string, privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url')
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url')
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)])

  // openssh-key-v1 container, unencrypted, one key (PROTOCOL.key in OpenSSH's sources).
  const check = randomBytes(4)
  let secret = Buffer.concat([
    check, check, sshString('ssh-ed25519'), sshString(pub),
    sshString(Buffer.concat([seed, pub])), sshString(comment)
  ])
  const padLength = (8 - (secret.length % 8)) % 8
  secret = Buffer.concat([secret, Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1))])
  const count = Buffer.alloc(4)
  count.writeUInt32BE(1)
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'), sshString('none'), sshString('none'), sshString(''),
    count, sshString(pubBlob), sshString(secret)
  ])
  const pem = body.toString('base64').match(/.{1,70}/g)!.join('\n')
  return {
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')} ${comment}`.trim(),
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${pem}\n-----END OPENSSH PRIVATE KEY-----\n`
  }
}
