import t from 'tap'
import { retentionCutoff } from '../../src/services/audit-retention.ts'
import { pruneScheduleRuns } from '../../src/services/schedule-run-retention.ts'
import { addKey, addSandboxBackend, buildTestApp, createMachine, json } from '../helper.ts'

const DAY = 86_400_000

t.test('finished runs past the cutoff go, with their machines\' outcomes; recent and running ones stay', async (t) => {
  const app = await buildTestApp(t, { scheduleRunRetentionDays: 0 })
  const machine = await createMachine(app, await addSandboxBackend(app), await addKey(app))
  const schedule = json((await app.inject({ method: 'POST', url: '/api/schedules', payload: { name: 'nightly', action: 'stop', when: { type: 'cron', expression: '0 20 * * *' }, selector: { machine_ids: [machine.id] } } })).body)
  const run = async (ageDays: number, finished: boolean): Promise<bigint> => {
    const at = new Date(Date.now() - ageDays * DAY)
    const row = await app.db.scheduleRun.create({
      data: { scheduleId: schedule.id, fireAt: at, startedAt: at, latenessMs: 0, status: finished ? 'succeeded' : 'running', finishedAt: finished ? at : null, machines: { create: [{ machineId: machine.id, outcome: finished ? 'succeeded' : 'pending', at }] } }
    })
    return row.id
  }
  for (let day = 0; day < 25; day++) await run(100 + day, true)
  const stuck = await run(120, false)
  const recent = await run(10, true)

  const result = await pruneScheduleRuns(app.db, { before: retentionCutoff(90), batchSize: 10 })
  t.same(result, { deleted: 25, batches: 3 }, 'three batches of at most 10')
  t.same((await app.db.scheduleRun.findMany({ select: { id: true }, orderBy: { id: 'asc' } })).map((row) => row.id), [stuck, recent], 'the running run and the recent one stay')
  t.equal(await app.db.scheduleRunMachine.count(), 2, 'the deleted runs\' outcomes went with them')
  t.same(await pruneScheduleRuns(app.db, { before: retentionCutoff(90) }), { deleted: 0, batches: 1 }, 'a second pass finds nothing')
  t.equal(json((await app.inject({ method: 'GET', url: `/api/schedules/${schedule.id}/runs` })).body).runs.length, 2)
})

t.test('a started server prunes finished runs in the background; 0 keeps them', async (t) => {
  for (const days of [30, 0]) {
    const app = await buildTestApp(t, { scheduleRunRetentionDays: days, auditPruneIntervalMs: 50 })
    const schedule = json((await app.inject({ method: 'POST', url: '/api/schedules', payload: { name: 'old', action: 'stop', when: { type: 'cron', expression: '0 20 * * *' }, selector: { tags: { include: ['x'] } } } })).body)
    const at = new Date(Date.now() - 31 * DAY)
    await app.db.scheduleRun.create({ data: { scheduleId: schedule.id, fireAt: at, startedAt: at, latenessMs: 0, status: 'succeeded', finishedAt: at } })
    await app.ready()
    const deadline = Date.now() + (days === 0 ? 500 : 10_000)
    while (Date.now() < deadline && await app.db.scheduleRun.count() > 0) await new Promise((resolve) => setTimeout(resolve, 50))
    t.equal(await app.db.scheduleRun.count(), days === 0 ? 1 : 0, days === 0 ? 'SCHEDULE_RUN_RETENTION_DAYS=0 keeps every run' : 'a run finished 31 days ago is gone after 30')
  }
})
