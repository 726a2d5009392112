import t from 'tap'
import { connect } from 'node:net'
import { TEST_ADMIN_TOKEN } from './helper.ts'
import { startServer } from './started-server.ts'

/**
 * A client that sends its headers and then trickles its body a byte at a time never finishes
 * its request: the whole request must arrive within REQUEST_TIMEOUT_MS, else 408 as a problem
 * document and the connection closed (a real socket, against a started server).
 */
t.test('a trickled body gets 408 and its socket is closed', async (t) => {
  const server = await startServer(t, { REQUEST_TIMEOUT_MS: '1000', HEADERS_TIMEOUT_MS: '1000' })
  const socket = connect(server.port, '127.0.0.1')
  let answer = ''
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => { answer += chunk })
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())))
  const started = Date.now()
  socket.write(`POST /api/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`)
  const trickle = setInterval(() => { if (!socket.destroyed) socket.write(' ') }, 200)
  t.teardown(() => clearInterval(trickle))
  const at = await closed
  clearInterval(trickle)
  t.ok(at - started < 5000, `closed after ${at - started} ms (deadline 1000 ms, checked every 100 ms)`)
  t.match(answer, /^HTTP\/1\.1 408 /)
  t.match(answer, /content-type: application\/problem\+json/i)
  t.match(answer, /x-content-type-options: nosniff/i, 'the API\'s headers')
  t.match(answer, /"type":"\/problems\/request-timeout"/)
  t.equal(await server.stop(), 0)
})
