import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { gceHarness } from './harnesses.ts'

// The same scenarios against src/server.ts started as a process, pointed at the HTTPS fake by
// GCE_API_ENDPOINT alone, trusting its certificate through NODE_EXTRA_CA_CERTS.
await runScenarios(t, await gceHarness(), 'started-server')
