import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'

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

/** The older MD5 fingerprint, hex with colons: how DigitalOcean names account keys. */
export const md5FingerprintOf = (key: ParsedPublicKey): string =>
  createHash('md5').update(key.blob).digest('hex').replace(/(..)(?!$)/g, '$1:')

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

/** Reads SSH wire-format strings and integers off a buffer, failing on any overrun. */
class SshReader {
  #offset = 0
  constructor (private readonly data: Buffer) {}
  uint32 (): number {
    if (this.#offset + 4 > this.data.length) throw new Error('truncated')
    const value = this.data.readUInt32BE(this.#offset)
    this.#offset += 4
    return value
  }

  bytes (): Buffer {
    const length = this.uint32()
    if (this.#offset + length > this.data.length) throw new Error('truncated')
    const value = this.data.subarray(this.#offset, this.#offset + length)
    this.#offset += length
    return value
  }
}

const OPENSSH_MAGIC = Buffer.from('openssh-key-v1\0')

/** The public half inside OpenSSH's own private key container (stored in clear, even when encrypted). */
function publicFromOpenSsh (pem: string): Buffer | null {
  const body = /-----BEGIN OPENSSH PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END OPENSSH PRIVATE KEY-----/.exec(pem)?.[1]
  if (body === undefined) return null
  const data = Buffer.from(body.replace(/\s+/g, ''), 'base64')
  if (!data.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) return null
  const reader = new SshReader(data.subarray(OPENSSH_MAGIC.length))
  const cipher = reader.bytes().toString('latin1')
  reader.bytes() // kdf name
  reader.bytes() // kdf options
  if (reader.uint32() !== 1) return null
  const publicBlob = reader.bytes()
  if (cipher === 'none') {
    // Unencrypted: the private section must repeat its check word and hold the same public key.
    const secret = new SshReader(reader.bytes())
    const check = secret.uint32()
    if (secret.uint32() !== check) return null
    const type = secret.bytes().toString('latin1')
    if (type !== new SshReader(publicBlob).bytes().toString('latin1')) return null
  }
  return publicBlob
}

const mpint = (base64url: string): Buffer => {
  const bytes = Buffer.from(base64url, 'base64url')
  return sshString(bytes[0]! & 0x80 ? Buffer.concat([Buffer.alloc(1), bytes]) : bytes)
}
const CURVES: Record<string, string> = { 'P-256': 'nistp256', 'P-384': 'nistp384', 'P-521': 'nistp521' }

/** The public half of a PEM private key (PKCS#1, PKCS#8 or SEC1), in SSH's wire format. */
function publicFromPem (pem: string): Buffer | null {
  let jwk: Record<string, string>
  try {
    jwk = createPublicKey(createPrivateKey(pem)).export({ format: 'jwk' }) as Record<string, string>
  } catch {
    return null
  }
  if (jwk.kty === 'RSA') return Buffer.concat([sshString('ssh-rsa'), mpint(jwk.e!), mpint(jwk.n!)])
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(jwk.x!, 'base64url'))])
  const curve = jwk.kty === 'EC' ? CURVES[jwk.crv!] : undefined
  if (curve === undefined) return null
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')])
  return Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(curve), sshString(point)])
}

/**
 * The public key of a private key, as mist.io's PUT /keys {"id", "priv"} registers it: OpenSSH's
 * own format (what ssh-keygen writes, and POST /keys generates) or PEM. null when it is neither,
 * or is damaged.
 */
export function publicKeyOfPrivate (privateKey: string, comment: string): ParsedPublicKey | null {
  let blob: Buffer | null
  try {
    blob = publicFromOpenSsh(privateKey) ?? publicFromPem(privateKey)
  } catch {
    return null
  }
  if (blob === null) return null
  const type = new SshReader(blob).bytes().toString('latin1')
  return parsePublicKey(`${type} ${blob.toString('base64')} ${comment}`)
}
