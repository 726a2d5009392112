import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { actor } from '../plugins/auth.ts'
import { invalidQuery } from '../problems.ts'
import { CostReport, CostReportQuery, Forecast, ForecastQuery } from '../schemas/machine-cost.ts'
import { problemResponses } from '../schemas/problem.ts'
import { costReport, costWindow } from '../services/cost-report.ts'
import { forecast } from '../services/cost-forecast.ts'
import { monthIn } from '../domain/calendar.ts'
import { isTimeZone } from '../domain/schedule-times.ts'

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

  app.get('/api/costs/forecast', {
    schema: {
      operationId: 'getCostForecast',
      tags: ['costs'],
      summary: 'What the month will cost',
      description: 'What the month cost until now, plus the run rate to its end (each machine as it is now), plus the run rate with the enabled schedules\' fires ahead applied, ' +
        'by each cloud\'s billing rule at the prices in force now. The month is read in tz (default UTC). An administrator sees every user\'s machines, others their own.',
      querystring: ForecastQuery,
      response: { 200: Forecast, ...problemResponses(400, 422) }
    }
  }, async (request) => {
    const zone = request.query.tz ?? 'UTC'
    if (!isTimeZone(zone)) throw invalidQuery('tz', `${zone} is not an IANA time zone this server knows`, `tz: ${zone} is not an IANA time zone this server knows`)
    const now = new Date()
    const month = monthIn(request.query.month, zone, now)
    const answer = await forecast(app.db, actor(request), month, now)
    return {
      month: month.month,
      timezone: zone,
      from: month.from.toISOString(),
      to: month.to.toISOString(),
      as_of: now.toISOString(),
      accrued: answer.accrued,
      projected: answer.projected,
      projected_with_schedules: answer.projectedWithSchedules,
      schedules: answer.schedules,
      unpriced_seconds: answer.unpricedSeconds
    }
  })
}

export default costs
