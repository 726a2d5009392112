import type { PrismaClient, Schedule, ScheduleAction } from '../generated/prisma/client.ts'
import { isValidNow, type MachineAction } from '../domain/lifecycle.ts'
import { firesBetween } from '../domain/schedule-times.ts'
import { BACKENDS_API } from '../domain/vocabulary.ts'
import { Problem } from '../problems.ts'
import { ProviderError } from '../providers/provider-error.ts'
import type { JobEngine, QueueSpec } from './job-engine.ts'
import type { Sql, Statement } from '../db/sql.ts'
import type { MachineService } from './machine-service.ts'
import { nextFireOf, ownerOf, selectorOf, triggerOf } from './schedules.ts'
import { selects } from '../domain/schedule-selector.ts'
import { ownedBy } from '../domain/ownership.ts'

/**
 * Fires schedules and runs their actions (docs/costs.md, "Schedules"), once across servers:
 * - each schedule keeps its next fire time, and each fire is a job started after it;
 * - a fire writes its run row, unique on (schedule, fire time), in the same transaction that
 *   moves the schedule on: of two servers (or a server and its restarted self) one writes it;
 * - a fire found late runs once within misfire_grace_s, else is recorded as missed; the fires
 *   a long outage skipped coalesce into one run (the latest);
 * - the run's actions are jobs, one per machine, each recording its machine's outcome.
 */
export const FIRE_QUEUE = 'schedule-fire'
export const ACTION_QUEUE = 'schedule-action'

/** Machines acted on at once by one server's run jobs. */
const ACTION_CONCURRENCY = 8
/** A backlog longer than this (a minutely schedule down for a week) is cut: its latest fire is what counts. */
const BACKLOG_LIMIT = 100_000

const LIFECYCLE_ACTION: Readonly<Record<ScheduleAction, MachineAction>> = { start: 'start', stop: 'shutdown', reboot: 'reboot', destroy: 'destroy' }

// A machine's outcome and the run's end check, once per machine acted on: prepared statements on
// app.sql, not Prisma, whose per-query CPU was most of what a run added to the stops themselves.
const RECORD_OUTCOME: Statement = {
  name: 'schedule-run-outcome',
  text: `UPDATE schedule_run_machines SET outcome = $3::run_outcome, detail = $4, at = $5
    WHERE run_id = $1::bigint AND machine_id = $2 AND outcome = 'pending'`
}
const STILL_PENDING: Statement = {
  name: 'schedule-run-pending',
  text: `SELECT 1 FROM schedule_run_machines
    WHERE run_id = $1::bigint AND outcome = 'pending' LIMIT 1`
}

interface FireJob { scheduleId: string, fireAt: string }
interface ActionJob { runId: string, machineId: number, action: ScheduleAction }

export class ScheduleRunner {
  #sweep: NodeJS.Timeout | undefined

  constructor (
    private readonly db: PrismaClient,
    private readonly sql: Sql,
    private readonly jobs: JobEngine,
    private readonly machines: MachineService,
    private readonly log: { error(object: object, message: string): void }
  ) {}

  queues (): QueueSpec[] {
    return [
      { name: FIRE_QUEUE, policy: 'stately', expireInSeconds: 60 },
      // An action is a claim and one call to the cloud (bounded by its provider's retries and timeouts).
      { name: ACTION_QUEUE, policy: 'stately', expireInSeconds: 600 }
    ]
  }

  /** Sends the job of a schedule's fire, to start at its time. */
  async fireAt (scheduleId: string, at: Date): Promise<void> {
    await this.jobs.send<FireJob>(FIRE_QUEUE, { scheduleId, fireAt: at.toISOString() }, { key: `${scheduleId}@${at.toISOString()}`, startAfter: at })
  }

  /**
   * A worker's part: the fire and action jobs, and a sweep that sends again the fire job of any
   * schedule overdue (its server died between moving the schedule on and sending the next job).
   */
  async startWorking (sweepEveryMs: number): Promise<void> {
    await this.jobs.work<FireJob>(FIRE_QUEUE, 1, async (job) => this.fire(job.scheduleId, new Date(job.fireAt)))
    await this.jobs.work<ActionJob>(ACTION_QUEUE, ACTION_CONCURRENCY, async (job) => this.act(job))
    const sweep = (): void => {
      void this.sendOverdue().catch((error: unknown) => this.log.error({ err: error }, 'schedule sweep failed'))
    }
    sweep()
    this.#sweep = setInterval(sweep, sweepEveryMs)
    this.#sweep.unref()
  }

  stop (): void {
    clearInterval(this.#sweep)
  }

  async sendOverdue (): Promise<void> {
    const overdue = await this.db.schedule.findMany({ where: { enabled: true, nextFireAt: { lte: new Date(Date.now() - 1000) } }, select: { id: true, nextFireAt: true } })
    for (const schedule of overdue) await this.fireAt(schedule.id, schedule.nextFireAt!)
  }

  /**
   * One fire. A job whose time is no longer the schedule's next fire (the schedule changed, or
   * another server ran it) does nothing.
   */
  async fire (scheduleId: string, fireAt: Date): Promise<void> {
    const fired = await this.db.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM schedules WHERE id = ${scheduleId} FOR UPDATE`
      if (locked === undefined) return null
      const schedule = await tx.schedule.findUniqueOrThrow({ where: { id: scheduleId } })
      if (!schedule.enabled || schedule.nextFireAt?.getTime() !== fireAt.getTime()) return null
      const now = new Date()
      const timing = { ...schedule, trigger: triggerOf(schedule) }
      // The fires since this one that are also due now: a backlog is one run, at the latest.
      const backlog = firesBetween(timing.trigger, fireAt, now, schedule.startAfter ?? schedule.createdAt, BACKLOG_LIMIT)
        .filter((at) => schedule.expires === null || at <= schedule.expires)
      const latest = backlog.at(-1) ?? fireAt
      const lateness = Math.max(0, now.getTime() - latest.getTime())
      const missed = lateness > schedule.misfireGraceS * 1000
      const coalesced = backlog.length === 0 ? '' : `; ${backlog.length + 1} fires due since ${fireAt.toISOString()} coalesced into this one`
      const detail = missed ? `found ${Math.round(lateness / 1000)} s late, beyond misfire_grace_s ${schedule.misfireGraceS}: nothing done${coalesced}` : coalesced.slice(2) || null
      const run = await tx.$queryRaw<Array<{ id: bigint }>>`
        INSERT INTO schedule_runs (schedule_id, fire_at, started_at, lateness_ms, status, detail, finished_at)
        VALUES (${scheduleId}, ${latest}, ${now}, ${lateness}, ${missed ? 'missed' : 'running'}::run_status, ${detail}, ${missed ? now : null})
        ON CONFLICT (schedule_id, fire_at) DO NOTHING RETURNING id`
      if (run.length === 0) return null
      const runCount = schedule.runCount + (missed ? 0 : 1)
      // From the fire itself when it came early (another server's clock): never the same fire again.
      const next = nextFireOf({ ...timing, runCount }, latest > now ? latest : now)
      await tx.schedule.update({ where: { id: scheduleId }, data: { runCount, nextFireAt: next } })
      return { schedule, runId: run[0]!.id, missed, next }
    })
    if (fired === null) {
      await this.#resume(scheduleId, fireAt)
      return
    }
    if (fired.next !== null) await this.fireAt(scheduleId, fired.next)
    if (!fired.missed) await this.startRun(fired.schedule, fired.runId)
  }

  /**
   * A fire job taken up again after its server died (pg-boss retries it once it expires) finds
   * its run written but never started (no machine rows): it starts it. Starting twice is harmless:
   * machine rows and action jobs are keyed by (run, machine), and an action acts only while pending.
   */
  async #resume (scheduleId: string, fireAt: Date): Promise<void> {
    const stalled = await this.db.scheduleRun.findFirst({
      where: { scheduleId, manual: false, status: 'running', fireAt: { gte: fireAt }, machines: { none: {} }, startedAt: { lt: new Date(Date.now() - 5000) } },
      include: { schedule: true }
    })
    if (stalled !== null) await this.startRun(stalled.schedule, stalled.id)
  }

  /** Run now, outside the schedule's times (its next fire stays as it was). */
  async runNow (schedule: Schedule): Promise<bigint> {
    const now = new Date()
    const run = await this.db.scheduleRun.create({
      data: { scheduleId: schedule.id, fireAt: now, startedAt: now, latenessMs: 0, manual: true, status: 'running' }
    })
    await this.startRun(schedule, run.id)
    return run.id
  }

  /**
   * The run's machines, resolved now among what the owner owns: one pending row and one job per
   * machine the action is valid for, a skipped row (with the reason) for the others. A run that
   * would act on more than max_machines does nothing, and says so.
   */
  async startRun (schedule: Schedule, runId: bigint): Promise<void> {
    const owner = await ownerOf(this.db, schedule)
    const selector = selectorOf(schedule)
    // The database narrows by owner, ids, backend or tags (an account's other machines stay in
    // it); the selector's one rule (schedule-selector.ts) decides.
    const candidates = await this.db.machine.findMany({
      where: {
        ...ownedBy(owner),
        state: { not: 'terminated' },
        backend: { deletedAt: null },
        ...('machine_ids' in selector
          ? { id: { in: selector.machine_ids } }
          : {
              ...(selector.backend_id === undefined ? {} : { backendId: selector.backend_id }),
              ...((selector.tags.include ?? []).length === 0 ? {} : { tags: { hasEvery: selector.tags.include } })
            })
      },
      select: { id: true, state: true, backendId: true, ownerId: true, tags: true },
      orderBy: { id: 'asc' }
    })
    const matched = candidates.filter((machine) => selects(selector, owner, machine))
    const now = new Date()
    if (schedule.maxMachines !== null && matched.length > schedule.maxMachines) {
      await this.db.scheduleRun.update({
        where: { id: runId },
        data: { status: 'failed', finishedAt: now, detail: `the selector matched ${matched.length} machines, more than max_machines ${schedule.maxMachines}: nothing done` }
      })
      return
    }
    const action = LIFECYCLE_ACTION[schedule.action]
    const rows = matched.map((machine) => isValidNow(machine.state, action)
      ? { runId, machineId: machine.id, outcome: 'pending' as const, at: now }
      : { runId, machineId: machine.id, outcome: 'skipped' as const, at: now, detail: `cannot ${schedule.action} a machine that is ${machine.state}` })
    await this.db.scheduleRunMachine.createMany({ data: rows, skipDuplicates: true })
    const pending = rows.filter((row) => row.outcome === 'pending')
    if (pending.length === 0) {
      await this.#finishIfDone(runId, matched.length === 0 ? 'no machine matched the selector' : null)
      return
    }
    await this.jobs.sendMany<ActionJob>(ACTION_QUEUE, pending.map((row) => ({
      data: { runId: runId.toString(), machineId: row.machineId, action: schedule.action },
      key: `${runId}:${row.machineId}`
    })))
  }

  /**
   * One machine's action. Refusals of the machine's state or provider are "skipped" with their
   * reason, a cloud's failure is "failed"; a database failure is thrown, and the job retried.
   */
  async act (job: ActionJob): Promise<void> {
    const runId = BigInt(job.runId)
    // The machine while its row in the run is pending (a row goes with its machine): one read.
    const machine = await this.db.machine.findFirst({
      where: { id: job.machineId, scheduleRuns: { some: { runId, outcome: 'pending' } } },
      include: { backend: true }
    })
    if (machine === null) {
      // Done already: this job is taken up again after its server wrote the outcome and died
      // before the run's end check, which is made here instead.
      await this.#finishIfDone(runId, null)
      return
    }
    let outcome: { outcome: 'succeeded' | 'failed' | 'skipped', detail: string | null }
    try {
      await this.machines.act(machine, LIFECYCLE_ACTION[job.action], BACKENDS_API, 'schedule')
      outcome = { outcome: 'succeeded', detail: null }
    } catch (error) {
      if (error instanceof Problem && error.status < 500) outcome = { outcome: 'skipped', detail: error.message }
      else if (error instanceof ProviderError || error instanceof Problem) outcome = { outcome: 'failed', detail: error.message }
      else throw error
    }
    await this.sql.query(RECORD_OUTCOME, [job.runId, job.machineId, outcome.outcome, outcome.detail, new Date()])
    await this.#finishIfDone(runId, null)
  }

  /**
   * A run ends with its last machine: succeeded (none failed), failed (none succeeded), else
   * partial. Until then, one index probe finds a machine still pending; the run's outcomes are
   * counted once, at its end (two last machines at once: the status guard lets one write).
   */
  async #finishIfDone (runId: bigint, detail: string | null): Promise<void> {
    const pending = await this.sql.query(STILL_PENDING, [runId.toString()])
    if (pending.length > 0) return
    await this.db.$executeRaw`
      UPDATE schedule_runs r SET finished_at = now(), detail = COALESCE(${detail}, r.detail),
        status = (CASE WHEN o.failed = 0 THEN 'succeeded' WHEN o.succeeded = 0 THEN 'failed' ELSE 'partial' END)::run_status
      FROM (SELECT count(*) FILTER (WHERE outcome = 'failed') AS failed, count(*) FILTER (WHERE outcome = 'succeeded') AS succeeded,
        count(*) FILTER (WHERE outcome = 'pending') AS pending FROM schedule_run_machines WHERE run_id = ${runId}) o
      WHERE r.id = ${runId} AND r.status = 'running' AND o.pending = 0`
  }
}
