import t from 'tap'
import fc from 'fast-check'
import { BILLING_RULES, sandboxRule } from '../../src/domain/billing-rules.ts'
import { machineCost, machineCostSums, nanoDecimal, type PriceInForce, type StateChange } from '../../src/domain/machine-cost.ts'
import type { MachineState } from '../../src/domain/machine-states.ts'

const T0 = Date.parse('2026-11-01T00:00:00Z')
const at = (s: number) => new Date(T0 + s * 1000)
const change = (s: number, state: MachineState, providerState?: string): StateChange => ({ at: at(s), state, ...(providerState === undefined ? {} : { providerState }) })
const price = (s: number, hourlyPrice: string | null, source = 'test'): PriceInForce => ({ from: at(s), hourlyPrice, currency: 'USD', source })
const all = { from: at(-86_400 * 400), to: at(86_400 * 400) }

t.test('EC2: running bills per second with a 60 s minimum per start; stopped does not', async (t) => {
  const history = [change(0, 'pending'), change(30, 'running'), change(40, 'stopping'), change(50, 'stopped'), change(100, 'starting'), change(110, 'running'), change(3710, 'stopping'), change(3720, 'stopped')]
  const cost = machineCost(history, [price(0, '0.036000')], BILLING_RULES.ec2!, all, at(10_000))
  // 10 s running: billed 60 (the minimum); then 3,600 s running.
  t.equal(cost.billedSeconds, 60 + 3600)
  t.same(cost.totals, [{ currency: 'USD', cost: '0.036600000' }], '3,660 s at $0.036/h')
  t.equal(cost.unpricedSeconds, 0)
})

t.test('DigitalOcean: an off droplet still bills, in started hours, up to 672 hours a month', async (t) => {
  const history = [change(0, 'pending'), change(60, 'running'), change(600, 'stopping'), change(610, 'stopped')]
  const day = machineCost(history, [price(0, '0.009000')], BILLING_RULES.digitalocean!, all, at(86_400))
  t.equal(day.billedSeconds, 86_400, 'every state bills until destroyed, the whole day')
  const destroyed = machineCost([...history, change(1000, 'destroying'), change(1010, 'terminated')], [price(0, '0.009000')], BILLING_RULES.digitalocean!, all, at(86_400))
  t.equal(destroyed.billedSeconds, 3600, 'destroyed after 17 minutes: one started hour')
  const month = machineCost([change(0, 'running')], [price(0, '0.009000')], BILLING_RULES.digitalocean!, all, at(30 * 86_400))
  t.equal(month.billedSeconds, 672 * 3600, 'November capped at 672 hours')
  t.same(month.totals, [{ currency: 'USD', cost: '6.048000000' }])
})

t.test('Azure: deallocated does not bill; stopped but allocated (the cloud\'s own status) does', async (t) => {
  const history = [change(0, 'running'), change(3600, 'stopped', 'PowerState/deallocated'), change(7200, 'stopped', 'PowerState/stopped'), change(10_800, 'running')]
  const cost = machineCost(history, [price(0, '0.010400')], BILLING_RULES.azure!, all, at(14_400))
  t.equal(cost.billedSeconds, 3600 + 3600 + 3600)
})

t.test('GCE: RUNNING and STOPPING bill, TERMINATED (our stopped) does not; a minute at least', async (t) => {
  const cost = machineCost([change(0, 'pending'), change(20, 'running'), change(50, 'stopping'), change(55, 'stopped')], [price(0, '0.047500')], BILLING_RULES.gce!, all, at(1000))
  t.equal(cost.billedSeconds, 60, '35 s of uptime bills the minute')
})

t.test('the price in force at the time, not today\'s; a time with no known price is unpriced, never free', async (t) => {
  const rule = sandboxRule()
  const history = [change(0, 'running')]
  const cost = machineCost(history, [price(0, '1.000000', 'catalog'), price(3600, '2.000000', 'override'), price(7200, null, 'catalog')], rule, all, at(10_800))
  t.same(cost.intervals.map((interval) => [interval.billedSeconds, interval.hourlyPrice, interval.priceSource, interval.cost]), [
    [3600, '1.000000', 'catalog', '1.000000000'],
    [3600, '2.000000', 'override', '2.000000000'],
    [3600, null, 'catalog', null]
  ])
  t.same(cost.totals, [{ currency: 'USD', cost: '3.000000000' }])
  t.equal(cost.unpricedSeconds, 3600)
  const before = machineCost([change(-100, 'running')], [price(0, '1.000000')], rule, all, at(3600))
  t.equal(before.unpricedSeconds, 100, 'before the first known price: unpriced')
})

t.test('a window: only its seconds; a run\'s minimum counts where the run ends', async (t) => {
  const history = [change(0, 'running'), change(7200, 'stopped')]
  const cost = machineCost(history, [price(0, '3.600000')], sandboxRule(), { from: at(1800), to: at(5400) }, at(10_000))
  t.equal(cost.billedSeconds, 3600)
  t.same(cost.totals, [{ currency: 'USD', cost: '3.600000000' }])
  t.same(machineCost([change(0, 'running'), change(10, 'stopped')], [price(0, '3.600000')], BILLING_RULES.ec2!, { from: at(5), to: at(100) }, at(100)).billedSeconds, 55, 'the minute\'s other 50 s land at the run\'s end, inside the window')
})

t.test('properties: windows add up; no negative or fractional seconds; the same history costs the same', async (t) => {
  const states: MachineState[] = ['pending', 'running', 'stopping', 'stopped', 'starting', 'rebooting', 'suspended', 'error']
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.integer({ min: 1, max: 40_000 }), fc.constantFrom(...states)), { minLength: 1, maxLength: 12 }),
    fc.constantFrom(...Object.keys(BILLING_RULES)),
    fc.integer({ min: 1, max: 400_000 }),
    (steps, provider, split) => {
      let clock = 0
      const history = steps.map(([gap, state]) => { clock += gap; return change(clock, state) })
      const rule = BILLING_RULES[provider]!
      const prices = [price(0, '0.123456'), price(clock / 2, '0.654321')]
      const now = at(clock + 50_000)
      const whole = machineCost(history, prices, rule, all, now)
      const left = machineCost(history, prices, rule, { from: all.from, to: at(split) }, now)
      const right = machineCost(history, prices, rule, { from: at(split), to: all.to }, now)
      if (left.billedSeconds + right.billedSeconds !== whole.billedSeconds) throw new Error(`split at ${split}: ${left.billedSeconds} + ${right.billedSeconds} != ${whole.billedSeconds}`)
      if (whole.intervals.some((interval) => interval.billedSeconds < 0 || !Number.isInteger(interval.billedSeconds))) throw new Error('bad seconds')
      if (JSON.stringify(machineCost(history, prices, rule, all, now)) !== JSON.stringify(whole)) throw new Error('not deterministic')
      // A report's sums are the machine's answer without its intervals.
      const sums = machineCostSums(history, prices, rule, { from: all.from, to: at(split) }, now)
      const summed = { totals: [...sums.nanos].map(([currency, nanos]) => ({ currency, cost: nanoDecimal(nanos) })), billedSeconds: sums.billedSeconds, unpricedSeconds: sums.unpricedSeconds }
      if (JSON.stringify(summed) !== JSON.stringify({ totals: left.totals, billedSeconds: left.billedSeconds, unpricedSeconds: left.unpricedSeconds })) throw new Error(`sums ${JSON.stringify(summed)} differ from the answer's`)
    }
  ), { numRuns: 500 })
  t.pass('500 histories; each one\'s report sums equal to its answer\'s totals')
})
