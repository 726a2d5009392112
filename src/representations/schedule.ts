import type { Schedule, ScheduleRun, ScheduleRunMachine } from '../generated/prisma/client.ts'
import type { Static } from '@sinclair/typebox'
import type { Run, Schedule as ScheduleSchema } from '../schemas/schedule.ts'

const iso = (date: Date | null): string | null => date === null ? null : date.toISOString()

/** A schedule as both formats show it (schemas/schedule.ts). */
export const toSchedule = (schedule: Schedule): Static<typeof ScheduleSchema> => ({
  id: schedule.id,
  name: schedule.name,
  action: schedule.action,
  when: schedule.trigger as Static<typeof ScheduleSchema>['when'],
  selector: schedule.selector as Static<typeof ScheduleSchema>['selector'],
  start_after: iso(schedule.startAfter),
  expires: iso(schedule.expires),
  max_run_count: schedule.maxRunCount,
  run_count: schedule.runCount,
  enabled: schedule.enabled,
  misfire_grace_s: schedule.misfireGraceS,
  max_machines: schedule.maxMachines,
  next_fire_at: iso(schedule.nextFireAt),
  created_at: schedule.createdAt.toISOString()
})

export const toRun = (run: ScheduleRun & { machines: ScheduleRunMachine[] }): Static<typeof Run> => ({
  id: run.id.toString(),
  fire_at: run.fireAt.toISOString(),
  started_at: run.startedAt.toISOString(),
  lateness_ms: run.latenessMs,
  manual: run.manual,
  status: run.status,
  detail: run.detail,
  finished_at: iso(run.finishedAt),
  machines: run.machines.map((machine) => ({ machine_id: machine.machineId, outcome: machine.outcome, detail: machine.detail }))
})
