import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { digitaloceanHarness } from './harnesses.ts'

await runScenarios(t, await digitaloceanHarness())
