import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { actor } from '../plugins/auth.ts'
import { BACKENDS_API, MACHINE_API, type Vocabulary } from '../domain/vocabulary.ts'
import { GateMachineParams } from '../schemas/gate-machine.ts'
import { MachineParams } from '../schemas/mist-machine.ts'
import { CostQuery, GateMachineCost, GateTransitionList, MistMachineCost, MistTransitionList } from '../schemas/machine-cost.ts'
import { problemResponses } from '../schemas/problem.ts'
import { findMachine, findMachineAt, machineNotFound, type MachineRef, type MachineWithBackend } from '../services/lookup.ts'
import type { Principal } from '../services/token-verifier.ts'
import { costOfMachine, machineHistory } from '../services/machine-costs.ts'
import { costWindow } from '../services/cost-report.ts'
import type { MachineState } from '../domain/machine-states.ts'

/** A machine's history and what it cost, in both dialects (docs/costs.md). */
const machineHistoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const history = async (machine: MachineWithBackend, words: Vocabulary) => ({
    transitions: (await machineHistory(app.db, machine.id)).map((row) => ({
      from: row.fromState === null ? null : words.state(row.fromState),
      to: words.state(row.toState),
      at: row.at.toISOString(),
      cause: row.cause,
      detail: row.detail,
      provider_state: row.providerState,
      provider_at: row.providerAt?.toISOString() ?? null
    }))
  })

  const cost = async (user: Principal, machine: MachineRef, query: { from?: string, to?: string }, words: Vocabulary) => {
    const now = new Date()
    const { from, to } = costWindow(query, now)
    const answer = await costOfMachine(app.sql, user, machine, { from, to }, now)
    if (answer === undefined) throw machineNotFound(machine)
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      billing_now: answer.billingNow,
      billing_rule: { source: answer.rule.source, checked: answer.rule.checked },
      intervals: answer.intervals.map((interval) => ({
        from: interval.from.toISOString(),
        to: interval.to.toISOString(),
        state: words.state(interval.state as MachineState),
        provider_state: interval.providerState,
        billable: interval.billable,
        billed_seconds: interval.billedSeconds,
        hourly_price: interval.hourlyPrice,
        currency: interval.currency,
        price_source: interval.priceSource,
        cost: interval.cost
      })),
      totals: answer.totals,
      billed_seconds: answer.billedSeconds,
      unpriced_seconds: answer.unpricedSeconds
    }
  }

  app.get('/api/machine/:id/transitions', {
    schema: { operationId: 'getMachineTransitions', tags: ['machines (machine API)'], summary: 'Machine history', description: 'Every recorded state change, oldest first, in the machine API\'s states.', params: GateMachineParams, response: { 200: GateTransitionList, ...problemResponses(400, 404) } }
  }, async (request) => history(await findMachine(app.db, actor(request), request.params.id), MACHINE_API))

  app.get('/api/machine/:id/cost', {
    schema: {
      operationId: 'getMachineCost',
      tags: ['machines (machine API)'],
      summary: 'What the machine cost',
      description: 'Its recorded history priced by its cloud\'s billing rule at the prices in force at the time (docs/costs.md). Amounts are decimal strings with their currency.',
      params: GateMachineParams,
      querystring: CostQuery,
      response: { 200: GateMachineCost, ...problemResponses(400, 404, 422) }
    }
  }, async (request) => cost(actor(request), { id: request.params.id }, request.query, MACHINE_API))

  app.get('/backends/:backend_id/machines/:machine_id/transitions', {
    schema: { operationId: 'listMachineTransitions', tags: ['machines (backends API)'], summary: 'Machine history', description: 'Every recorded state change, oldest first, in the backends API\'s states.', params: MachineParams, response: { 200: MistTransitionList, ...problemResponses(400, 404) } }
  }, async (request) => history(await findMachineAt(app.db, actor(request), request.params.backend_id, request.params.machine_id), BACKENDS_API))

  app.get('/backends/:backend_id/machines/:machine_id/cost', {
    schema: {
      operationId: 'getBackendMachineCost',
      tags: ['machines (backends API)'],
      summary: 'What the machine cost',
      description: 'As GET /api/machine/{id}/cost, in the backends API\'s states.',
      params: MachineParams,
      querystring: CostQuery,
      response: { 200: MistMachineCost, ...problemResponses(400, 404, 422) }
    }
  }, async (request) => cost(actor(request), { backendId: request.params.backend_id, providerId: request.params.machine_id }, request.query, BACKENDS_API))
}

export default machineHistoryRoutes
