import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { dockerHarness } from './harnesses.ts'

// The same scenarios against src/server.ts started as a process, its DOCKER_ALLOWED_HOSTS naming
// the fake engines' address (tcp://127.0.0.1:*) and nothing else.
await runScenarios(t, await dockerHarness(), 'started-server')
