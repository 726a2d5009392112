import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { actor } from '../plugins/auth.ts'
import { invalidQuery } from '../problems.ts'
import { CostReport, CostReportQuery } from '../schemas/machine-cost.ts'
import { problemResponses } from '../schemas/problem.ts'
import { costReport, costWindow } from '../services/cost-report.ts'

/** What machines cost, grouped (docs/costs.md): an administrator sees every user's, others their own. */
const costs: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/api/costs', {
    schema: {
      operationId: 'getCosts',
      tags: ['costs'],
      summary: 'What machines cost, grouped',
      description: 'Each machine\'s recorded history priced by its cloud\'s billing rule at the prices in force at the time, summed per group and currency, with billed and unpriced seconds. ' +
        'An administrator sees every user\'s machines, others their own. Amounts are decimal strings.',
      querystring: CostReportQuery,
      response: { 200: CostReport, ...problemResponses(400, 422) }
    }
  }, async (request) => {
    const now = new Date()
    const { from, to } = costWindow(request.query, now)
    // A day a row: a year of days is 366 windows per machine; longer ranges group by month.
    if (request.query.group_by === 'day' && to.getTime() - from.getTime() > 366 * 86_400_000) {
      throw invalidQuery('group_by', 'day over more than 366 days', 'group_by=day covers at most 366 days; group a longer range by month')
    }
    const group = request.query.group_by ?? 'machine'
    const report = await costReport(app.db, actor(request), { from, to }, group, now)
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      group_by: group,
      groups: report.groups.map((row) => ({ key: row.key, costs: row.costs, billed_seconds: row.billedSeconds, unpriced_seconds: row.unpricedSeconds, machines: row.machines })),
      totals: report.totals
    }
  })
}

export default costs
