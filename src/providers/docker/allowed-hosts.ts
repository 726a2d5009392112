import { isIPv4, isIPv6 } from 'node:net'

/**
 * Where a Docker backend may point: an engine gives its caller the whole host, so the server talks
 * only to the hosts its operator names in DOCKER_ALLOWED_HOSTS. Each entry is exactly
 * `unix:///absolute/path` or `tcp://IP:PORT` (an IPv4 literal, or IPv6 in brackets; `*` for any
 * port of that IP). No host names (a name can be made to point anywhere), no other wildcards.
 */
export type DockerHost = { kind: 'unix', path: string } | { kind: 'tcp', ip: string, port: number }
type AllowedHost = { kind: 'unix', path: string } | { kind: 'tcp', ip: string, port: number | '*' }

/** A host as an entry or a backend names it, or null where it is not one of the two forms. */
function parse (text: string, anyPort: boolean): AllowedHost | null {
  const unix = /^unix:\/\/(\/[^\s,]*)$/.exec(text)
  if (unix !== null) {
    const path = unix[1]!
    // Exactly the path: no `.`/`..` segments or doubled slashes by which one entry names another file.
    return path.split('/').slice(1).every((segment) => segment !== '' && segment !== '.' && segment !== '..') ? { kind: 'unix', path } : null
  }
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\*|[0-9]{1,5})$/.exec(text)
  if (tcp === null) return null
  const literal = tcp[1]!
  const ip = literal.startsWith('[') ? literal.slice(1, -1) : literal
  if (literal.startsWith('[') ? !isIPv6(ip) : !isIPv4(ip)) return null
  const port = tcp[2] === '*' ? '*' : Number(tcp[2])
  if (port === '*' ? !anyPort : port < 1 || port > 65535) return null
  // IPv6 in one spelling (fd00::5 and fd00:0::5 are one address).
  return { kind: 'tcp', ip: literal.startsWith('[') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip, port }
}

/** DOCKER_ALLOWED_HOSTS as rules; an entry that is not exactly one of the forms stops the server at start. */
export function readAllowedHosts (value: string | undefined): AllowedHost[] {
  const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  return entries.map((entry) => {
    const rule = parse(entry, true)
    if (rule === null) throw new Error(`DOCKER_ALLOWED_HOSTS: "${entry}" is not unix:///absolute/path or tcp://IP:PORT (IPv4, or IPv6 in brackets; * for any port)`)
    return rule
  })
}

/** A backend's `host`, parsed; null where it is not one of the two forms (a port, not `*`). */
export const parseDockerHost = (text: string): DockerHost | null => parse(text, false) as DockerHost | null

/** Whether the rules allow this host: the same socket path, or the same IP with its port or `*`. */
export function isAllowed (host: DockerHost, rules: readonly AllowedHost[]): boolean {
  return rules.some((rule) => rule.kind === 'unix'
    ? host.kind === 'unix' && host.path === rule.path
    : host.kind === 'tcp' && host.ip === rule.ip && (rule.port === '*' || rule.port === host.port))
}
