/**
 * A throwaway certificate authority for the tests' cloud fakes, made fresh on each machine
 * (never committed): the fakes serve HTTPS with a certificate it signed for 127.0.0.1, and the
 * test processes trust it through NODE_EXTRA_CA_CERTS, as an operator would trust a private CA.
 * Nothing in the server needs an "insecure" switch for it.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const dir = resolve(process.argv[2] ?? '.test-ca')
const fresh = existsSync(join(dir, 'server.pem')) && Date.now() - statSync(join(dir, 'server.pem')).mtimeMs < 7 * 86_400_000
if (!fresh) {
  mkdirSync(dir, { recursive: true })
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=Stratus test CA (throwaway)')
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1')
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n')
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', '30', '-extfile', 'server.ext')
}
