import { test, type Test } from 'tap'
import { JobEngine } from '../../src/services/job-engine.ts'
import pg from 'pg'
import { createTestDatabase, eventually } from '../helper.ts'

/** An engine of its own on an empty database, with one stately queue; stopped at the test's end. */
async function engineFor (t: Test): Promise<{ engine: JobEngine, errors: Error[], url: string }> {
  const database = await createTestDatabase()
  const errors: Error[] = []
  const engine = new JobEngine({ connectionString: database.url }, {
    supervise: false, maintenanceIntervalSeconds: 60, pollingIntervalSeconds: 0.2, onError: (error) => { errors.push(error) }
  })
  await engine.start([{ name: 'work', policy: 'stately', expireInSeconds: 60 }])
  t.teardown(async () => {
    await engine.stop(1000)
    await database.drop()
  })
  return { engine, errors, url: database.url }
}

/** A handler that records each job and holds the jobs of a key until that key is let go. */
function holdingHandler () {
  const done: string[] = []
  const started: string[] = []
  const held = new Map<string, () => void>()
  const gates = new Map<string, Promise<void>>()
  const hold = (key: string): void => { gates.set(key, new Promise((resolve) => held.set(key, resolve))) }
  return {
    done,
    started,
    hold,
    release: (key: string) => { held.get(key)?.(); gates.delete(key) },
    handler: async (job: { key: string, n: number }) => {
      started.push(`${job.key}${job.n}`)
      await gates.get(job.key)
      done.push(`${job.key}${job.n}`)
    }
  }
}

/** An engine working the queue with `loops` loops, its job a1 (key a) running and held there. */
async function withKeyARunning (t: Test, loops: number) {
  const { engine, errors } = await engineFor(t)
  const work = holdingHandler()
  work.hold('a')
  await engine.work('work', loops, work.handler)
  await engine.send('work', { key: 'a', n: 1 }, { key: 'a' })
  await eventually(async () => work.started.includes('a1'))
  return { engine, errors, work }
}

test('a job waiting behind its key\'s running one does not hold back the jobs of other keys', async (t) => {
  const { engine, errors, work } = await withKeyARunning(t, 2)
  // a's follow-up waits (stately: one waiting, one running); b's job comes after it.
  await engine.send('work', { key: 'a', n: 2 }, { key: 'a' })
  await engine.send('work', { key: 'b', n: 1 }, { key: 'b' })
  await eventually(async () => work.done.includes('b1'), 10_000)
  t.same(work.done, ['b1'], "b's job ran while a's first was still running")
  t.notOk(work.started.includes('a2'), "a's follow-up did not start beside a's running job")
  work.release('a')
  await eventually(async () => work.done.includes('a2'), 10_000)
  t.same(work.done, ['b1', 'a1', 'a2'], "a's follow-up ran once a's first had finished")
  t.same(errors, [], 'nothing was reported as an error')
})

test('asking again for a key that already waits is dropped, and the one waiting job runs once', async (t) => {
  const { engine, errors, work } = await withKeyARunning(t, 4)
  for (let n = 2; n <= 50; n++) await engine.send('work', { key: 'a', n }, { key: 'a' })
  work.release('a')
  await eventually(async () => work.done.length === 2, 10_000)
  // Give any extra job time to show up.
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.same(work.done, ['a1', 'a2'], 'the first follow-up waited; the 48 after it were dropped')
  t.same(errors, [], 'nothing was reported as an error')
})

test('each job is completed as the next is fetched, and none is left running', async (t) => {
  const { engine, errors, url } = await engineFor(t)
  const work = holdingHandler()
  await engine.work('work', 2, work.handler)
  await engine.sendMany('work', Array.from({ length: 30 }, (_, n) => ({ data: { key: `k${n}`, n }, key: `k${n}` })))
  await eventually(async () => work.done.length === 30, 5000)
  const db = new pg.Client({ connectionString: url })
  await db.connect()
  t.teardown(() => db.end())
  const states = await eventually(async () => {
    const rows = (await db.query("SELECT state::text, count(*)::int AS n FROM pgboss.job WHERE name = 'work' GROUP BY 1")).rows
    return rows.length === 1 ? rows : undefined
  })
  t.same(states, [{ state: 'completed', n: 30 }], 'all 30 completed, none left active')
  t.same([...work.done].sort(), Array.from({ length: 30 }, (_, n) => `k${n}${n}`).sort(), 'each ran once')
  t.same(errors, [])
})
