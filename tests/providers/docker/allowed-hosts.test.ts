import t from 'tap'
import { isAllowed, parseDockerHost, readAllowedHosts } from '../../../src/providers/docker/allowed-hosts.ts'
import { buildTestApp } from '../../helper.ts'

t.test('DOCKER_ALLOWED_HOSTS takes exactly unix:///absolute/path and tcp://IP:PORT (IPv6 in brackets, * for any port)', async (t) => {
  const rules = readAllowedHosts('unix:///var/run/docker.sock, tcp://10.0.0.5:2376,tcp://[fd00::5]:*')
  t.equal(rules.length, 3)
  t.same(readAllowedHosts(undefined), [], 'unset: empty, no host is allowed')
  t.same(readAllowedHosts(''), [])
  for (const bad of ['tcp://docker.internal:2376', 'tcp://10.0.0.*:2376', 'tcp://10.0.0.5', 'tcp://10.0.0.5:70000', 'tcp://fd00::5:2376', 'unix://relative.sock',
    'unix:///var/run/../../etc/passwd', 'unix:///var//run/docker.sock', 'https://10.0.0.5:2376', 'tcp://10.0.0.256:2376', '*', 'tcp://*:2376']) {
    t.throws(() => readAllowedHosts(bad), /DOCKER_ALLOWED_HOSTS/, `refused: ${bad}`)
  }
})

t.test('a backend\'s host is allowed by the same socket, or the same IP with its port or *', async (t) => {
  const rules = readAllowedHosts('unix:///var/run/docker.sock,tcp://10.0.0.5:2376,tcp://[fd00::5]:*')
  const allowed = (host: string) => { const parsed = parseDockerHost(host); return parsed !== null && isAllowed(parsed, rules) }
  t.ok(allowed('unix:///var/run/docker.sock'))
  t.ok(allowed('tcp://10.0.0.5:2376'))
  t.ok(allowed('tcp://[fd00::5]:2375'))
  t.ok(allowed('tcp://[fd00:0:0::5]:2376'), 'one IPv6 address however it is spelled')
  t.notOk(allowed('tcp://10.0.0.5:2375'), 'another port')
  t.notOk(allowed('tcp://10.0.0.6:2376'), 'another address')
  t.notOk(allowed('unix:///var/run/docker.sock2'))
  t.notOk(allowed('unix:///var/run/./docker.sock'), 'another spelling of a path is not taken')
  t.equal(parseDockerHost('tcp://10.0.0.5:*'), null, 'a backend names one port')
  t.equal(parseDockerHost('tcp://localhost:2376'), null, 'no host names')
})

t.test('a wrong entry stops the server at start, saying which', async (t) => {
  await t.rejects(buildTestApp(t, { cloudEnv: { DOCKER_ALLOWED_HOSTS: 'tcp://docker.internal:2376' } }), /DOCKER_ALLOWED_HOSTS: "tcp:\/\/docker.internal:2376"/)
})
