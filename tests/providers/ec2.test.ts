import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { ec2Harness } from './harnesses.ts'

await runScenarios(t, await ec2Harness())
