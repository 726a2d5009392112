import t from 'tap'
import { connect } from 'node:net'
import { once } from 'node:events'
import { startServer } from '../started-server.ts'
import { TEST_ADMIN_TOKEN } from '../helper.ts'

/** The server's log lines as records. */
const records = (logs: string) => logs.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))

t.test('one access log line per request, a refusal\'s reason on the same line', async (t) => {
  const server = await startServer(t)
  const ok = await fetch(`${server.base}/health`)
  const refused = await fetch(`${server.base}/backends`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{"title":"t","provider":"sandbox","api_key":"a-credential","nonsense":1}'
  })
  t.equal(ok.status, 200)
  t.equal(refused.status, 400)
  await new Promise((resolve) => setTimeout(resolve, 200))
  const logs = server.logs()

  const lines = records(logs).filter((record) => record.reqId !== undefined)
  t.equal(lines.length, 2, 'one line for each request, nothing else carries a request id')
  t.match(lines[0], { msg: 'request', reqId: String, method: 'GET', url: '/health', status: 200, ms: Number })
  t.match(lines[1], { msg: 'request', reqId: String, method: 'POST', url: '/backends', status: 400, problem: 'validation-failed', detail: /nonsense/ })
  t.not(lines[0].reqId, lines[1].reqId)
  t.notMatch(logs, /a-credential/, 'the refused body\'s credential is not logged')
  t.notMatch(logs, /incoming request|request completed/, 'Fastify\'s own two lines are off')
  await server.stop()
})

t.test('a refused XML or JSON body keeps the connection open for the next request', async (t) => {
  const server = await startServer(t)
  const socket = connect(server.port, '127.0.0.1')
  await once(socket, 'connect')
  t.teardown(() => socket.destroy())
  let received = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { received += chunk })
  const answer = async (request: string): Promise<string> => {
    received = ''
    socket.write(request)
    const deadline = Date.now() + 5000
    // One whole answer: headers, then as many bytes as Content-Length says.
    while (Date.now() < deadline) {
      const end = received.indexOf('\r\n\r\n')
      const length = /content-length: (\d+)/i.exec(received)
      if (end !== -1 && length !== null && Buffer.byteLength(received.slice(end + 4)) >= Number(length[1])) return received
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error(`no whole answer: ${received}`)
  }
  const post = (type: string, body: string) => `POST /backends HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  const bodies: Array<[string, string, string]> = [
    ['application/xml', '<backend><title>' + 'a'.repeat(20_000) + '</title></backend>', 'a text longer than the longest field'],
    ['application/xml', '<backend>' + '<a>'.repeat(100) + '</backend>', 'too deep'],
    ['application/xml', '<backend><title>t</backend>', 'not well-formed'],
    ['application/json', '{"title":', 'malformed JSON']
  ]
  for (const [type, body, what] of bodies) {
    const refused = await answer(post(type, body))
    t.match(refused, /^HTTP\/1\.1 400 /, what)
    t.notMatch(refused, /connection: close/i, `${what}: the connection is kept`)
    t.match(await answer('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 200 /, `${what}: the next request on the same socket is answered`)
  }
  await server.stop()
})
