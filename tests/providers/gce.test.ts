import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { gceHarness } from './harnesses.ts'

await runScenarios(t, await gceHarness())
