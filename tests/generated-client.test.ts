import t from 'tap'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { buildTestApp, TEST_ADMIN_TOKEN } from './helper.ts'

const run = promisify(execFile)
const bin = (name: string) => `node_modules/.bin/${name}`

/**
 * A client generated from the committed document (openapi-typescript), driven by a program in
 * strict TypeScript with openapi-fetch (tests/generated-client/drive.ts): it must compile against
 * the generated types and run against the server, create -> active -> stop -> inactive -> start
 * -> destroy. The document and the server disagreeing fails one or the other.
 */
t.test('a client generated from openapi/openapi.json drives a machine through its life', async (t) => {
  const program = await readFile('tests/generated-client/drive.ts', 'utf8')
  const code = program.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
  t.notMatch(code, /\bany\b/, 'no any')
  t.notMatch(code, /\bas\s+(?!const\b)[A-Za-z{[(]/, 'no casts')
  t.notMatch(code, /[\w)\]]!(?![=])/, 'no non-null assertions')

  await run(bin('openapi-typescript'), ['openapi/openapi.json', '-o', 'tests/generated-client/.generated/stratus-api.ts'])
  await t.resolves(run(bin('tsc'), ['-p', 'tests/generated-client']), 'the program compiles against the generated types (strict)')

  const app = await buildTestApp(t, { pollIntervalMs: 20 })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'tests/generated-client/drive.ts'], {
    env: { ...process.env, STRATUS_URL: address, STRATUS_TOKEN: TEST_ADMIN_TOKEN },
    timeout: 60_000
  })
  t.match(stdout, /destroy -> destroyed/)
})
