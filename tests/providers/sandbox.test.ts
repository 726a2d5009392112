import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { sandboxHarness } from './harnesses.ts'

await runScenarios(t, sandboxHarness())
