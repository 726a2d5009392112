import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { azureHarness } from './harnesses.ts'

// The same scenarios against src/server.ts started as a process, pointed at the HTTPS fake by its
// environment alone: nothing in the server is told to trust the fake but NODE_EXTRA_CA_CERTS.
await runScenarios(t, await azureHarness(), 'started-server')
