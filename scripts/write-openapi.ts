// npm run openapi: writes openapi/openapi.json (and .yaml) from the route schemas. A test fails
// when the committed document differs from what the server generates.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { generateToken } from '../src/domain/tokens.ts'

const dataDir = await mkdtemp(join(tmpdir(), 'stratus-openapi-'))
// A throwaway server: its admin token is given so that none is printed.
const app = await buildApp({ ...loadConfig({}), dataDir, logLevel: 'warn', adminToken: generateToken() })
try {
  await app.ready()
  await writeFile('openapi/openapi.json', JSON.stringify(app.swagger(), null, 2) + '\n')
  await writeFile('openapi/openapi.yaml', app.swagger({ yaml: true }))
  console.log('wrote openapi/openapi.json and openapi/openapi.yaml')
} finally {
  await app.close()
  await rm(dataDir, { recursive: true, force: true })
}
