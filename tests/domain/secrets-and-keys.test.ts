import t from 'tap'
import { createPublicKey } from 'node:crypto'
import { SecretBox } from '../../src/domain/secret-box.ts'
import { fingerprintOf, generateKeyPair, parsePublicKey } from '../../src/domain/ssh-keys.ts'
import { randomSecret, shortId } from '../../src/domain/ids.ts'

t.test('secret box: round trip, no clear text, tamper and wrong key fail', async (t) => {
  const box = new SecretBox(Buffer.alloc(32, 1))
  const sealed = box.seal('hunter2-password')
  t.notMatch(sealed, /hunter2/)
  t.not(box.seal('hunter2-password'), sealed, 'a fresh IV each time')
  t.equal(box.open(sealed), 'hunter2-password')
  t.same(box.openJson(box.sealJson({ api_key: 'k' })), { api_key: 'k' })
  const [v, iv, tag, body] = sealed.split('.')
  // The body's first character changed (all six of its bits are the first byte's): the looked-at
  // character was once the second last, chosen by the last, and left as it was one time in 64.
  const flipped = (body!.startsWith('A') ? 'B' : 'A') + body!.slice(1)
  t.not(flipped, body)
  t.throws(() => box.open([v, iv, tag, flipped].join('.')))
  t.throws(() => new SecretBox(Buffer.alloc(32, 2)).open(sealed))
  t.throws(() => new SecretBox(Buffer.alloc(16)))
})

t.test('generated SSH keys are valid OpenSSH keys', async (t) => {
  const pair = generateKeyPair('alice@example')
  t.match(pair.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA[A-Za-z0-9+/]+=* alice@example$/)
  t.match(pair.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n$/)
  const parsed = parsePublicKey(pair.publicKey)
  t.ok(parsed)
  t.match(fingerprintOf(parsed!), /^SHA256:[A-Za-z0-9+/]{43}$/)
  // The 32 key bytes at the end of the blob are the same Ed25519 key node can load.
  const raw = parsed!.blob.subarray(parsed!.blob.length - 32)
  t.equal(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' }).asymmetricKeyType, 'ed25519')
})

t.test('public key parsing refuses what is not a key', async (t) => {
  t.equal(parsePublicKey('not a key'), null)
  t.equal(parsePublicKey('ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAA'), null, 'blob type must match')
  t.equal(parsePublicKey('ssh-ed25519 !!!'), null)
  t.equal(parsePublicKey('ssh-dss AAAAB3NzaC1kc3M='), null, 'DSA is not accepted')
})

t.test('ids and secrets draw from their alphabets', async (t) => {
  const ids = new Set(Array.from({ length: 500 }, () => shortId()))
  t.equal(ids.size, 500)
  for (const id of ids) t.match(id, /^[0-9A-Za-z]{22}$/)
  t.match(randomSecret(20), /^[a-km-zA-HJ-NP-Z2-9]{20}$/)
})
