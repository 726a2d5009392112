import t from 'tap'
import { runScenarios } from './scenarios.ts'
import { ec2Harness } from './harnesses.ts'

// The same scenarios against src/server.ts started as a process, pointed at the HTTPS fake by the
// AWS SDK's own endpoint variables alone (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_PRICING).
await runScenarios(t, await ec2Harness(), 'started-server')
