import { Type, type Static } from '@sinclair/typebox'
import { INTERVAL_PERIODS } from '../domain/schedule-times.ts'
import { RunOutcome, RunStatus, ScheduleAction } from '../generated/prisma/enums.ts'
import { DateTime, Name, ONE_LINE_PATTERN, ShortId } from './common.ts'

/**
 * Scheduled actions (docs/costs.md, "Schedules"). `when` and `selector` are each one of a few
 * shapes told apart by their fields; in XML every variant's fields are the element's children.
 */
const Tag = Type.String({ minLength: 1, maxLength: 128, pattern: ONE_LINE_PATTERN, xml: { name: 'tag' } })
const Zone = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+\\-/]+$', description: 'An IANA time zone, e.g. Europe/Athens; default UTC' })

const CronWhen = Type.Object({
  type: Type.Literal('cron'),
  expression: Type.String({ minLength: 9, maxLength: 128, pattern: '^[0-9A-Za-z*/,\\- ]+$', description: 'Five fields: minute, hour, day of month, month, day of week (no seconds)' }),
  timezone: Type.Optional(Zone)
}, { additionalProperties: false, title: 'CronWhen' })
const IntervalWhen = Type.Object({
  type: Type.Literal('interval'),
  every: Type.Integer({ minimum: 1, maximum: 100_000 }),
  period: Type.Union(INTERVAL_PERIODS.map((period) => Type.Literal(period)))
}, { additionalProperties: false, title: 'IntervalWhen', description: 'Exact elapsed time from start_after (else the creation); the first fire is one interval after it' })
const OneOffWhen = Type.Object({
  type: Type.Literal('one_off'),
  at: { ...DateTime, description: 'RFC 3339 with offset' }
}, { additionalProperties: false, title: 'OneOffWhen' })
// One of three, told by `type` (a discriminator, so a refusal names the one variant's fields).
// `type: object` too: Ajv's discriminator lets anything but an object through unchecked (null).
export const ScheduleWhen = Type.Unsafe<Static<typeof CronWhen> | Static<typeof IntervalWhen> | Static<typeof OneOffWhen>>({
  type: 'object',
  oneOf: [CronWhen, IntervalWhen, OneOffWhen],
  discriminator: { propertyName: 'type' },
  description: 'When it fires'
})

const MachineIdsSelector = Type.Object({
  machine_ids: Type.Array(Type.Integer({ minimum: 1, maximum: 2147483647, xml: { name: 'id' } }), { minItems: 1, maxItems: 10_000, description: 'The machine API\'s ids' })
}, { additionalProperties: false, title: 'MachineIdsSelector' })
const TagSelector = Type.Object({
  tags: Type.Object({
    include: Type.Optional(Type.Array(Tag, { maxItems: 50, description: 'A machine with every one of these tags' })),
    exclude: Type.Optional(Type.Array(Tag, { maxItems: 50, description: 'and none of these' }))
  }, { additionalProperties: false }),
  backend_id: Type.Optional(ShortId)
}, { additionalProperties: false, title: 'TagSelector' })
export const ScheduleSelector = Type.Union([MachineIdsSelector, TagSelector], { description: 'Which machines, resolved at each fire among those the owner owns then' })

const ScheduleActionName = Type.Union(Object.values(ScheduleAction).map((action) => Type.Literal(action)), { description: 'stop: shut down (the backends API\'s shutdown)' })

const Optional = {
  start_after: Type.Optional(Type.Union([DateTime, Type.Null()], { description: 'No fire before this' })),
  expires: Type.Optional(Type.Union([DateTime, Type.Null()], { description: 'No fire after this' })),
  max_run_count: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()], { description: 'At most this many runs' })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  misfire_grace_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800, default: 300, description: 'A fire found this late at most still runs once; later, it is recorded as missed' })),
  max_machines: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 100_000 }), Type.Null()], { description: 'A run that would act on more does nothing (required for destroy)' })),
  confirm: Type.Optional(Type.Literal('destroy', { description: 'Required for destroy schedules' }))
}

export const ScheduleCreateBody = Type.Object({
  name: Name,
  action: ScheduleActionName,
  when: ScheduleWhen,
  selector: ScheduleSelector,
  ...Optional
}, { title: 'ScheduleCreate', additionalProperties: false, xml: { name: 'schedule' } })
export type ScheduleCreateBody = Static<typeof ScheduleCreateBody>

export const ScheduleUpdateBody = Type.Object({
  name: Type.Optional(Name),
  action: Type.Optional(ScheduleActionName),
  when: Type.Optional(ScheduleWhen),
  selector: Type.Optional(ScheduleSelector),
  ...Optional
}, { title: 'ScheduleUpdate', additionalProperties: false, minProperties: 1, xml: { name: 'schedule' } })
export type ScheduleUpdateBody = Static<typeof ScheduleUpdateBody>

export const Schedule = Type.Object({
  id: ShortId,
  name: Type.String(),
  action: ScheduleActionName,
  when: ScheduleWhen,
  selector: ScheduleSelector,
  start_after: Type.Union([DateTime, Type.Null()]),
  expires: Type.Union([DateTime, Type.Null()]),
  max_run_count: Type.Union([Type.Integer(), Type.Null()]),
  run_count: Type.Integer({ minimum: 0 }),
  enabled: Type.Boolean(),
  misfire_grace_s: Type.Integer({ minimum: 0 }),
  max_machines: Type.Union([Type.Integer(), Type.Null()]),
  next_fire_at: Type.Union([DateTime, Type.Null()], { description: 'null: no more fires (expired, run out, one_off done, disabled)' }),
  created_at: DateTime
}, { title: 'Schedule', xml: { name: 'schedule' } })

export const ScheduleList = Type.Object({
  schedules: Type.Array(Schedule)
}, { title: 'ScheduleList', xml: { name: 'schedules' } })

export const ScheduleParams = Type.Object({ schedule_id: ShortId })

export const Run = Type.Object({
  id: Type.String({ pattern: '^[0-9]+$' }),
  fire_at: DateTime,
  started_at: DateTime,
  lateness_ms: Type.Integer({ minimum: 0, description: 'How long after its fire time the run began' }),
  manual: Type.Boolean({ description: 'Run now (POST /api/schedules/{id}/run), not at a fire time' }),
  status: Type.Union(Object.values(RunStatus).map((status) => Type.Literal(status)), { description: 'running until each machine has its outcome; succeeded: no machine failed; failed: none succeeded; missed: found beyond misfire_grace_s, nothing done' }),
  detail: Type.Union([Type.String(), Type.Null()]),
  finished_at: Type.Union([DateTime, Type.Null()]),
  machines: Type.Array(Type.Object({
    machine_id: Type.Integer(),
    outcome: Type.Union(Object.values(RunOutcome).map((outcome) => Type.Literal(outcome)), { description: 'succeeded: the cloud accepted the action; skipped: not valid for the machine then' }),
    detail: Type.Union([Type.String(), Type.Null()], { description: 'Why it was skipped or failed' })
  }, { xml: { name: 'machine' } }))
}, { title: 'Run', xml: { name: 'run' } })

export const RunList = Type.Object({
  runs: Type.Array(Run)
}, { title: 'RunList', xml: { name: 'runs' } })

export const RunsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'The newest runs first' }))
}, { additionalProperties: false })

export const PreviewQuery = Type.Object({
  expression: CronWhen.properties.expression,
  timezone: Type.Optional(Zone),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 }))
}, { additionalProperties: false })

export const Preview = Type.Object({
  expression: Type.String(),
  timezone: Type.String(),
  fires: Type.Array(Type.Object({
    at: DateTime,
    local: Type.String({ description: 'The same instant in the zone, with its offset then (RFC 3339)' })
  }, { xml: { name: 'fire' } }))
}, { title: 'SchedulePreview', xml: { name: 'preview' } })
