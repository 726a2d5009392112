import type { Prisma, PrismaClient, Schedule } from '../generated/prisma/client.ts'
import { shortId } from '../domain/ids.ts'
import { ownedBy } from '../domain/ownership.ts'
import { nextFireAfter, whenProblem, type ScheduleWhen } from '../domain/schedule-times.ts'
import type { ScheduleSelector } from '../domain/schedule-selector.ts'
import { invalidFields, notFound } from '../problems.ts'
import type { ScheduleCreateBody, ScheduleUpdateBody } from '../schemas/schedule.ts'
import type { Principal } from './token-verifier.ts'

/** What decides a schedule's next fire. */
type Timing = Pick<Schedule, 'enabled' | 'runCount' | 'maxRunCount' | 'startAfter' | 'expires' | 'createdAt'> & { trigger: ScheduleWhen }

/**
 * The first fire strictly after `after` that the schedule's bounds allow, or null when it has none
 * left: disabled, max_run_count reached, past `expires`. An interval counts from start_after,
 * else from the schedule's creation.
 */
export function nextFireOf (schedule: Timing, after: Date): Date | null {
  if (!schedule.enabled) return null
  if (schedule.maxRunCount !== null && schedule.runCount >= schedule.maxRunCount) return null
  const from = schedule.startAfter !== null && schedule.startAfter.getTime() - 1 > after.getTime() ? new Date(schedule.startAfter.getTime() - 1) : after
  const next = nextFireAfter(schedule.trigger, from, schedule.startAfter ?? schedule.createdAt)
  if (next === null || (schedule.expires !== null && next > schedule.expires)) return null
  return next
}

export const triggerOf = (schedule: Schedule): ScheduleWhen => schedule.trigger as unknown as ScheduleWhen
export const selectorOf = (schedule: Schedule): ScheduleSelector => schedule.selector as unknown as ScheduleSelector

/** Whose machines a schedule acts on: its owner's, as the owner may see them now (an administrator's: all). */
export async function ownerOf (db: PrismaClient, schedule: Pick<Schedule, 'ownerId'>): Promise<{ id: string, isAdmin: boolean }> {
  const user = await db.user.findUniqueOrThrow({ where: { id: schedule.ownerId }, select: { id: true, isAdmin: true } })
  return user
}

const dateOrNull = (value: string | null | undefined): Date | null => value === null || value === undefined ? null : new Date(value)

/** The rules a whole schedule must keep, beyond its schema: each refusal names its field (422). */
async function check (db: PrismaClient, owner: { id: string, isAdmin: boolean }, schedule: {
  action: string, when: ScheduleWhen, selector: ScheduleSelector, startAfter: Date | null, expires: Date | null, maxMachines: number | null, confirm?: string
}, whenIsNew: boolean): Promise<void> {
  const problems: Array<{ field: string, detail: string }> = []
  const when = whenIsNew ? whenProblem(schedule.when, new Date()) : null
  if (when !== null) problems.push(when)
  if (schedule.startAfter !== null && schedule.expires !== null && schedule.expires <= schedule.startAfter) {
    problems.push({ field: 'expires', detail: 'is not after start_after' })
  }
  if (schedule.action === 'destroy') {
    if (schedule.confirm !== 'destroy') problems.push({ field: 'confirm', detail: 'a destroy schedule needs confirm: "destroy"' })
    if (schedule.maxMachines === null) problems.push({ field: 'max_machines', detail: 'a destroy schedule needs max_machines' })
  }
  const selector = schedule.selector
  if ('tags' in selector) {
    if ((selector.tags.include ?? []).length === 0 && selector.backend_id === undefined) {
      problems.push({ field: 'selector/tags/include', detail: 'name at least one tag, or a backend_id (a selector of every machine is not accepted)' })
    }
    if (selector.backend_id !== undefined &&
      await db.backend.count({ where: { id: selector.backend_id, deletedAt: null, ...ownedBy(owner) } }) === 0) {
      problems.push({ field: 'selector/backend_id', detail: `backend ${selector.backend_id} does not exist` })
    }
  } else {
    const ids = [...new Set(selector.machine_ids)]
    const found = await db.machine.findMany({ where: { id: { in: ids }, ...ownedBy(owner) }, select: { id: true } })
    const missing = ids.filter((id) => !found.some((machine) => machine.id === id))
    if (missing.length > 0) problems.push({ field: 'selector/machine_ids', detail: `no machine ${missing.slice(0, 10).join(', ')}` })
  }
  if (problems.length > 0) throw invalidFields(problems.map((problem) => `${problem.field}: ${problem.detail}`).join('; '), problems)
}

/** Schedules by their owners: create, read, change, delete. What fires them is schedule-runs.ts. */
export class ScheduleStore {
  constructor (private readonly db: PrismaClient, private readonly firing: { fireAt(scheduleId: string, at: Date): Promise<void> }) {}

  async create (owner: Principal, body: ScheduleCreateBody): Promise<Schedule> {
    const fields = {
      action: body.action,
      when: body.when as ScheduleWhen,
      selector: body.selector as ScheduleSelector,
      startAfter: dateOrNull(body.start_after),
      expires: dateOrNull(body.expires),
      maxMachines: body.max_machines ?? null,
      confirm: body.confirm
    }
    await check(this.db, owner, fields, true)
    const createdAt = new Date()
    const timing = { enabled: body.enabled ?? true, runCount: 0, maxRunCount: body.max_run_count ?? null, startAfter: fields.startAfter, expires: fields.expires, createdAt, trigger: fields.when }
    const schedule = await this.db.schedule.create({
      data: {
        id: shortId(),
        ownerId: owner.id,
        name: body.name,
        action: body.action,
        trigger: body.when as Prisma.InputJsonValue,
        selector: body.selector as Prisma.InputJsonValue,
        startAfter: fields.startAfter,
        expires: fields.expires,
        maxRunCount: timing.maxRunCount,
        maxMachines: fields.maxMachines,
        misfireGraceS: body.misfire_grace_s ?? 300,
        enabled: timing.enabled,
        nextFireAt: nextFireOf(timing, createdAt),
        createdAt
      }
    })
    if (schedule.nextFireAt !== null) await this.firing.fireAt(schedule.id, schedule.nextFireAt)
    return schedule
  }

  async find (user: Principal, id: string): Promise<Schedule> {
    const schedule = await this.db.schedule.findFirst({ where: { id, ...ownedBy(user) } })
    if (schedule === null) throw notFound(`schedule ${id}`)
    return schedule
  }

  async list (user: Principal): Promise<Schedule[]> {
    return this.db.schedule.findMany({ where: ownedBy(user), orderBy: { createdAt: 'asc' } })
  }

  /**
   * A change is checked whole (the schedule as it would be), and its next fire computed again
   * from now; a fire job already queued for the old time finds it stale and does nothing.
   */
  async update (user: Principal, id: string, body: ScheduleUpdateBody): Promise<Schedule> {
    const current = await this.find(user, id)
    const merged = {
      action: body.action ?? current.action,
      when: (body.when as ScheduleWhen | undefined) ?? triggerOf(current),
      selector: (body.selector as ScheduleSelector | undefined) ?? selectorOf(current),
      startAfter: body.start_after === undefined ? current.startAfter : dateOrNull(body.start_after),
      expires: body.expires === undefined ? current.expires : dateOrNull(body.expires),
      maxMachines: body.max_machines === undefined ? current.maxMachines : body.max_machines,
      // A destroy schedule's every change says again that it means it.
      confirm: body.confirm
    }
    await check(this.db, await ownerOf(this.db, current), merged, body.when !== undefined)
    const timing = {
      enabled: body.enabled ?? current.enabled,
      runCount: current.runCount,
      maxRunCount: body.max_run_count === undefined ? current.maxRunCount : body.max_run_count,
      startAfter: merged.startAfter,
      expires: merged.expires,
      createdAt: current.createdAt,
      trigger: merged.when
    }
    const schedule = await this.db.schedule.update({
      where: { id },
      data: {
        name: body.name ?? current.name,
        action: merged.action,
        trigger: merged.when as unknown as Prisma.InputJsonValue,
        selector: merged.selector as unknown as Prisma.InputJsonValue,
        startAfter: merged.startAfter,
        expires: merged.expires,
        maxRunCount: timing.maxRunCount,
        maxMachines: merged.maxMachines,
        misfireGraceS: body.misfire_grace_s ?? current.misfireGraceS,
        enabled: timing.enabled,
        nextFireAt: nextFireOf(timing, new Date())
      }
    })
    if (schedule.nextFireAt !== null) await this.firing.fireAt(schedule.id, schedule.nextFireAt)
    return schedule
  }

  async remove (user: Principal, id: string): Promise<void> {
    await this.find(user, id)
    await this.db.schedule.deleteMany({ where: { id } })
  }
}
