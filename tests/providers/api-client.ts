import { XMLParser } from 'fast-xml-parser'
import type { Stratus } from '../started-server.ts'

export type Format = 'json' | 'xml'

const parser = new XMLParser({ parseTagValue: false, isArray: (_name, path) => ['machines.machine', 'tags.tag', 'machine.public_ips.ip', 'machine.tags.tag', 'machines.machine.public_ips.ip', 'machines.machine.tags.tag'].includes(String(path)) })

// Maps (extra) are <entry key="...">: read with their attributes, by this parser alone.
const withAttributes = new XMLParser({ parseTagValue: false, ignoreAttributes: false, isArray: (_name, path) => ['machines.machine', 'machines.machine.extra.entry'].includes(String(path)) })

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Array items by the element the document names them with (docs/api.md): a port binding is <binding>. */
const ITEM_ELEMENT: Readonly<Record<string, string>> = { docker_port_bindings: 'binding' }

/** A body as the format sends it: JSON, or one XML element per field under `root`. */
function encode (format: Format, root: string, body: Record<string, unknown>): string {
  if (format === 'json') return JSON.stringify(body)
  // A map is one <entry key="..."> per key (docs/api.md, "JSON and XML"); an array, one element per
  // item; an object that is an array's item (a port binding), its fields as elements.
  const inner = (field: string, value: unknown, item = false): string => {
    const element = ITEM_ELEMENT[field] ?? 'item'
    if (Array.isArray(value)) return value.map((one) => `<${element}>${inner(field, one, true)}</${element}>`).join('')
    if (value !== null && typeof value === 'object') {
      return Object.entries(value).map(([key, one]) => item ? `<${key}>${inner(field, one)}</${key}>` : `<entry key="${escape(key)}">${inner(field, one)}</entry>`).join('')
    }
    return escape(String(value))
  }
  return `<${root}>${Object.entries(body).map(([name, value]) => `<${name}>${inner(name, value)}</${name}>`).join('')}</${root}>`
}

export interface Answer { status: number, body: any, headers: Record<string, unknown>, raw: string }

/**
 * The HTTP API as a client in one format sees it: every body sent and every answer read in JSON
 * or in XML (read back into plain values, XML's strings kept as strings).
 */
export class ApiClient {
  constructor (private readonly stratus: Stratus, readonly format: Format) {}

  async send (method: string, url: string, root?: string, body?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
    const type = this.format === 'json' ? 'application/json' : 'application/xml'
    const res = await this.stratus.inject({
      method,
      url,
      headers: { accept: type, ...(body === undefined ? {} : { 'content-type': type }), ...headers },
      ...(body === undefined ? {} : { payload: encode(this.format, root ?? 'body', body) })
    })
    let parsed: any = null
    if (res.body !== '') parsed = this.format === 'json' || !String(res.headers['content-type']).includes('xml') ? JSON.parse(res.body) : parser.parse(res.body)
    return { status: res.statusCode, body: parsed, headers: res.headers, raw: res.body }
  }

  /** A machine list, whichever format carried it. */
  async machines (backend: string): Promise<Array<{ id: string, state: string, name: string, public_ips: string[], tags: string[], last_error: string | null }>> {
    const answer = await this.send('GET', `/backends/${backend}/machines`)
    if (answer.status !== 200) throw new Error(`list: ${answer.status} ${answer.raw}`)
    const list = this.format === 'json' ? answer.body : (answer.body.machines?.machine ?? [])
    const extras: Array<Record<string, unknown>> = this.format === 'json'
      ? list.map((machine: any) => machine.extra)
      : (withAttributes.parse(answer.raw).machines?.machine ?? []).map((machine: any) =>
          Object.fromEntries((machine.extra?.entry ?? []).map((entry: any) => [entry['@_key'], entry['#text'] ?? ''])))
    return list.map((machine: any, i: number) => ({
      ...machine,
      public_ips: this.format === 'json' ? machine.public_ips : (machine.public_ips?.ip ?? []),
      tags: this.format === 'json' ? machine.tags : (machine.tags?.tag ?? []),
      // Stratus's own entry of extra: why the last action failed, while there is a reason.
      last_error: (extras[i]!.last_error as string | undefined) ?? null
    }))
  }

  /** The answer's main element (XML wraps it in its root). */
  static value (answer: Answer, root: string): any {
    return answer.body !== null && typeof answer.body === 'object' && root in answer.body ? answer.body[root] : answer.body
  }
}
