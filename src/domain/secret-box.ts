import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * Authenticated encryption of secrets at rest (cloud credentials, admin passwords) with
 * AES-256-GCM. A sealed value reads "v1.<iv>.<tag>.<ciphertext>" in base64url, so a database
 * dump holds no secret in clear text and a tampered or wrongly keyed value fails to open.
 */
export class SecretBox {
  readonly #key: Buffer

  constructor (key: Buffer) {
    if (key.length !== 32) throw new Error('the secret key must be 32 bytes (AES-256)')
    this.#key = key
  }

  seal (plain: string): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.')
  }

  open (sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.')
    if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) {
      throw new Error('not a sealed secret')
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  }

  sealJson (value: unknown): string { return this.seal(JSON.stringify(value)) }
  openJson<T> (sealed: string): T { return JSON.parse(this.open(sealed)) as T }
}
