import t from 'tap'
import { Type } from '@sinclair/typebox'
import { toXml } from '../../src/xml/encode.ts'
import { createXmlReader, XmlBodyError } from '../../src/xml/decode.ts'
import { MistMachine } from '../../src/schemas/mist-machine.ts'
import { machineCreateBody } from '../../src/schemas/provider-bodies.ts'
import { DockerMachineFields } from '../../src/providers/docker/machine-fields.ts'
import { GateMachineList } from '../../src/schemas/gate-machine.ts'

const read = createXmlReader({ maxDepth: 16 })
const body = (xml: string) => xml.replace(/^<\?xml[^>]*\?>\n/, '')

t.test('lists render in the GATE document\'s shape', async (t) => {
  const xml = toXml(GateMachineList, [{ id: 14, url: 'https://x/api/machine/14', state: 'inactive', secret: 'dropped' }])
  t.equal(body(xml), '<machines><machine><id>14</id><url>https://x/api/machine/14</url><state>inactive</state></machine></machines>')
  t.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n/)
})

t.test('a machine round-trips through XML, maps and untyped values included', async (t) => {
  const machine = {
    can_start: false,
    can_reboot: true,
    uuid: '7c1e6f0e-8c4b-4a8e-9d3e-0e6f2b6b7d10',
    name: 'a <b> & "c"',
    tags: ['x', ''],
    can_stop: true,
    can_destroy: true,
    extra: { status: 'running', launchindex: 0, monitored: false, groups: [null, 'g'], tags: { Name: 'web' }, 'key with/odd:chars': 'v', empty: '' },
    public_ips: ['203.0.113.5'],
    private_ips: [],
    imageId: null,
    state: 'running',
    can_tag: true,
    id: 'i-1',
    size: 't1.micro'
  }
  const xml = toXml(MistMachine, machine)
  t.match(xml, /<tags><tag>x<\/tag><tag><\/tag><\/tags>/)
  t.match(xml, /<imageId nil="true"\/>/)
  t.match(xml, /<entry key="key with\/odd:chars">v<\/entry>/)
  t.match(xml, /<entry key="launchindex" type="number">0<\/entry>/)
  t.same(read(xml, MistMachine), machine)
})

t.test('docker maps with keys that are not XML names round-trip into the body schema', async (t) => {
  const MachineCreateBody = machineCreateBody([['docker', { title: 'docker', machineKind: 'container', priceSource: 'test', credentials: {}, settings: {}, machineFields: DockerMachineFields, connect: () => { throw new Error('schemas only') } }]])
  const create = {
    name: 'c',
    image: 'img',
    location: 'l',
    size: 'default',
    docker_command: '/bin/bash',
    docker_env: { SOMEVAR: 'True' },
    docker_exposed_ports: { '8888/tcp': {}, '4977/tcp': {} },
    docker_port_bindings: { '8888/tcp': [{ HostPort: '8888' }], '4977/tcp': [{ HostPort: '4977' }] },
    monitoring: true
  }
  const xml = toXml(MachineCreateBody, create)
  t.match(xml, /<docker_exposed_ports><entry key="8888\/tcp"><\/entry>/)
  t.same(read(xml, MachineCreateBody), create)
})

t.test('scalars are read as the schema types them; the rest is left for validation', async (t) => {
  const schema = Type.Object({ n: Type.Integer(), b: Type.Boolean(), s: Type.String() })
  t.same(read('<x><n> 42 </n><b>true</b><s> keep spaces </s></x>', schema), { n: 42, b: true, s: ' keep spaces ' })
  t.same(read('<x><n>forty</n><b>yes</b></x>', schema), { n: 'forty', b: 'yes' })
  t.same(read('<x><s>&lt;&amp;&gt;&quot;&apos;&#65;&#x42;</s></x>', schema), { s: '<&>"\'AB' })
  t.same(read('<x><s><![CDATA[a<b]]></s></x>', schema), { s: 'a<b' })
})

t.test('hostile or broken XML is refused', async (t) => {
  const schema = Type.Object({ s: Type.String() })
  const refuse = (xml: string, pattern: RegExp) => {
    try {
      read(xml, schema)
      t.fail(`accepted: ${xml.slice(0, 60)}`)
    } catch (error) {
      t.ok(error instanceof XmlBodyError, 'an XmlBodyError')
      t.match((error as Error).message, pattern, xml.slice(0, 60))
    }
  }
  refuse('<!DOCTYPE x [<!ENTITY a "aaaa">]><x><s>&a;</s></x>', /DOCTYPE/)
  refuse('<x><s>&a;</s></x>', /undeclared entity/)
  refuse('<x><s>&#0;</s></x>', /character reference/)
  refuse('<x><s>open</x>', /well-formed/)
  refuse('<x/><y/>', /well-formed|one root/)
  refuse('<x><s>a</s><s>b</s></x>', /more than once/)
  refuse('<x><__proto__><polluted>1</polluted></__proto__></x>', /not allowed|cannot be read/)
  refuse('<x>' + '<a>'.repeat(40) + '</a>'.repeat(40) + '</x>', /cannot be read|depth|nested/i)
  t.throws(() => read('<x><m><entry key="__proto__">1</entry></m></x>', Type.Object({ m: Type.Record(Type.String(), Type.String()) })), /not allowed/)
  t.equal(({} as any).polluted, undefined)
})
