import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { dockerHarness } from './harnesses.ts'

await runScenarios(t, await dockerHarness())
