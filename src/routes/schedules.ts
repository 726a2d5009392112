import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { actor } from '../plugins/auth.ts'
import { firesBetween, inZone, whenProblem } from '../domain/schedule-times.ts'
import { invalidQuery, Problem } from '../problems.ts'
import { problemResponses } from '../schemas/problem.ts'
import { Preview, PreviewQuery, Run, RunList, RunsQuery, Schedule, ScheduleCreateBody, ScheduleList, ScheduleParams, ScheduleUpdateBody } from '../schemas/schedule.ts'
import { toRun, toSchedule } from '../representations/schedule.ts'
import { Savings, SavingsQuery } from '../schemas/machine-cost.ts'
import { scheduleSavings } from '../services/cost-forecast.ts'

/** Scheduled start, stop, reboot and destroy (docs/costs.md, "Schedules"), owner-scoped. */
const schedules: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/api/schedules', {
    schema: {
      operationId: 'createSchedule',
      tags: ['schedules'],
      summary: 'Schedule an action on machines',
      description: 'when: a five-field cron expression in an IANA zone, an interval, or one instant. selector: machine ids, or tags (and a backend), resolved at each fire. ' +
        'A destroy schedule needs confirm: "destroy" and max_machines.',
      body: ScheduleCreateBody,
      response: { 201: Schedule, ...problemResponses(400, 413, 415, 422) }
    }
  }, async (request, reply) => {
    const schedule = await app.schedules.create(actor(request), request.body)
    reply.code(201).header('location', `/api/schedules/${schedule.id}`)
    return toSchedule(schedule)
  })

  app.get('/api/schedules', {
    schema: { operationId: 'listSchedules', tags: ['schedules'], summary: 'Your schedules (an administrator: all)', response: { 200: ScheduleList } }
  }, async (request) => ({ schedules: (await app.schedules.list(actor(request))).map(toSchedule) }))

  app.get('/api/schedules/preview', {
    schema: {
      operationId: 'previewSchedule',
      tags: ['schedules'],
      summary: 'The next fire times of a cron expression in a zone',
      description: 'Each fire as an instant (UTC) and as the zone\'s local time with its offset then, so daylight-saving changes show: a local time the clocks skip fires at the same minutes one hour later, a repeated one fires once.',
      querystring: PreviewQuery,
      response: { 200: Preview, ...problemResponses(400, 422) }
    }
  }, async (request) => {
    const zone = request.query.timezone ?? 'UTC'
    const when = { type: 'cron' as const, expression: request.query.expression, timezone: zone }
    const problem = whenProblem(when, new Date())
    if (problem !== null) throw invalidQuery(problem.field.replace('when/', ''), problem.detail, `${problem.field.replace('when/', '')}: ${problem.detail}`)
    const fires = firesBetween(when, new Date(), new Date(8.64e15), new Date(0), request.query.count ?? 10)
    return { expression: when.expression, timezone: zone, fires: fires.map((at) => ({ at: at.toISOString(), local: inZone(at, zone) })) }
  })

  // The preview's path would otherwise be read as a schedule's id by the other methods (a PATCH
  // of schedule "preview"): what is not allowed on it is said so, as on every other path.
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/api/schedules/preview',
    schema: { hide: true },
    handler: async (request) => {
      throw new Problem('method-not-allowed', `${request.method} is not allowed on /api/schedules/preview; allowed: GET`, { headers: { allow: 'GET' } })
    }
  })

  app.get('/api/schedules/:schedule_id', {
    schema: { operationId: 'getSchedule', tags: ['schedules'], summary: 'A schedule', params: ScheduleParams, response: { 200: Schedule, ...problemResponses(404) } }
  }, async (request) => toSchedule(await app.schedules.find(actor(request), request.params.schedule_id)))

  app.patch('/api/schedules/:schedule_id', {
    schema: {
      operationId: 'updateSchedule',
      tags: ['schedules'],
      summary: 'Change a schedule',
      description: 'The schedule as changed is checked whole, and its next fire computed again from now. A destroy schedule\'s change needs confirm: "destroy" again.',
      params: ScheduleParams,
      body: ScheduleUpdateBody,
      response: { 200: Schedule, ...problemResponses(400, 404, 413, 415, 422) }
    }
  }, async (request) => toSchedule(await app.schedules.update(actor(request), request.params.schedule_id, request.body)))

  app.delete('/api/schedules/:schedule_id', {
    schema: { operationId: 'deleteSchedule', tags: ['schedules'], summary: 'Delete a schedule and its runs', params: ScheduleParams, response: { 204: { type: 'null', description: 'Deleted' }, ...problemResponses(404) } }
  }, async (request, reply) => {
    await app.schedules.remove(actor(request), request.params.schedule_id)
    return reply.code(204).send()
  })

  app.post('/api/schedules/:schedule_id/run', {
    config: { optionalBody: true },
    schema: {
      operationId: 'runSchedule',
      tags: ['schedules'],
      summary: 'Run a schedule now',
      description: 'One run now, besides the schedule\'s own fires (its next fire is unchanged). Its machines\' actions are jobs: GET /api/schedules/{id}/runs shows their outcomes.',
      params: ScheduleParams,
      response: { 202: Run, ...problemResponses(404) }
    }
  }, async (request, reply) => {
    const schedule = await app.schedules.find(actor(request), request.params.schedule_id)
    const runId = await app.scheduleRunner.runNow(schedule)
    const run = await app.db.scheduleRun.findUniqueOrThrow({ where: { id: runId }, include: { machines: { orderBy: { machineId: 'asc' } } } })
    return reply.code(202).send(toRun(run))
  })

  app.get('/api/schedules/:schedule_id/savings', {
    schema: {
      operationId: 'getScheduleSavings',
      tags: ['schedules'],
      summary: 'What a schedule saves',
      description: 'Over the next `days`: for each machine it selects now, the cost with the owner\'s other enabled schedules alone, less the cost with this one too, by the cloud\'s billing rule ' +
        '(a stop on DigitalOcean, which bills an off droplet, saves nothing, and says why). A stop schedule is counted with the start schedule that pairs with it.',
      params: ScheduleParams,
      querystring: SavingsQuery,
      response: { 200: Savings, ...problemResponses(400, 404) }
    }
  }, async (request) => {
    const schedule = await app.schedules.find(actor(request), request.params.schedule_id)
    const from = new Date()
    const to = new Date(from.getTime() + (request.query.days ?? 30) * 86_400_000)
    const answer = await scheduleSavings(app.db, schedule, { from, to })
    return {
      schedule_id: schedule.id,
      from: from.toISOString(),
      to: to.toISOString(),
      savings: answer.savings,
      machines: answer.machines.map((machine) => ({
        machine_id: machine.machineId,
        billed_seconds_without: machine.billedWithout,
        billed_seconds_with: machine.billedWith,
        savings: machine.savings,
        reason: machine.reason
      }))
    }
  })

  app.get('/api/schedules/:schedule_id/runs', {
    schema: {
      operationId: 'listScheduleRuns',
      tags: ['schedules'],
      summary: 'A schedule\'s runs, newest first, with each machine\'s outcome',
      params: ScheduleParams,
      querystring: RunsQuery,
      response: { 200: RunList, ...problemResponses(400, 404) }
    }
  }, async (request) => {
    const schedule = await app.schedules.find(actor(request), request.params.schedule_id)
    const runs = await app.db.scheduleRun.findMany({
      where: { scheduleId: schedule.id },
      orderBy: [{ fireAt: 'desc' }, { id: 'desc' }],
      take: request.query.limit ?? 50,
      include: { machines: { orderBy: { machineId: 'asc' } } }
    })
    return { runs: runs.map(toRun) }
  })
}

export default schedules
