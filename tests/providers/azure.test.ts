import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { azureHarness } from './harnesses.ts'

await runScenarios(t, await azureHarness())
