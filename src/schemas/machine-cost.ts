import { Type, type TSchema } from '@sinclair/typebox'
import { COST_GROUPS } from '../domain/machine-cost.ts'
import { TransitionCause } from '../generated/prisma/enums.ts'
import { DateTime } from './common.ts'
import { GateState } from './gate-machine.ts'
import { MachineState } from './mist-machine.ts'

/**
 * A machine's history and what it cost, in each dialect's state words: the machine API's five
 * (active, inactive, …), the backends API's own (running, stopped, …). Money is a decimal string
 * with its currency, never a float.
 */
const Money = Type.String({ pattern: '^-?\\d{1,15}\\.\\d{9}$', maxLength: 26, description: 'An exact decimal amount (9 places)' })
const HourlyPrice = Type.Union([Type.String({ pattern: '^\\d{1,6}\\.\\d{6}$', maxLength: 13 }), Type.Null()], { description: 'The hourly price in force then, a decimal string; null where none is known' })
const Currency = Type.Union([Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3 }), Type.Null()])

const ProviderState = Type.Union([Type.String(), Type.Null()], {
  description: 'The cloud\'s own status (Azure\'s PowerState/deallocated); null where not recorded (an action\'s claim, history from before it was kept: billed by the rule for the state)'
})

function transitionList (state: TSchema, title: string) {
  return Type.Object({
    transitions: Type.Array(Type.Object({
      from: Type.Union([state, Type.Null()], { description: 'null for the first (the create or the adoption)' }),
      to: state,
      at: DateTime,
      cause: Type.Union(Object.values(TransitionCause).map((cause) => Type.Literal(cause))),
      detail: Type.Union([Type.String(), Type.Null()], { description: 'The action, or the cloud\'s reason a change failed' }),
      provider_state: ProviderState,
      provider_at: Type.Union([DateTime, Type.Null()], { description: 'The cloud\'s own time of the change, where it gives one (at is when Stratus recorded it)' })
    }, { xml: { name: 'transition' } }))
  }, { title, xml: { name: 'history' } })
}

export const GateTransitionList = transitionList(GateState, 'GateTransitionList')
export const MistTransitionList = transitionList(MachineState, 'MistTransitionList')

function machineCost (state: TSchema, title: string) {
  return Type.Object({
    from: DateTime,
    to: DateTime,
    billing_now: Type.Boolean({ description: 'Whether the machine is billing now by its cloud\'s rule (an off droplet is)' }),
    billing_rule: Type.Object({ source: Type.String(), checked: Type.String({ format: 'date' }) }, { description: 'The cloud\'s billing rule applied (docs/costs.md)' }),
    intervals: Type.Array(Type.Object({
      from: DateTime,
      to: DateTime,
      state,
      provider_state: ProviderState,
      billable: Type.Boolean(),
      billed_seconds: Type.Integer({ minimum: 0, description: 'Seconds billed in the interval: its length while billing, plus a start\'s minimum or rounding where the run ends' }),
      hourly_price: HourlyPrice,
      currency: Currency,
      price_source: Type.Union([Type.String(), Type.Null()]),
      cost: Type.Union([Money, Type.Null()], { description: 'billed_seconds x hourly_price / 3600; null where no price is known (unpriced, never 0)' })
    }, { xml: { name: 'interval' } })),
    totals: Type.Array(Type.Object({ currency: Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3 }), cost: Money }, { xml: { name: 'total' } }), { description: 'Per currency, never converted' }),
    billed_seconds: Type.Integer({ minimum: 0 }),
    unpriced_seconds: Type.Integer({ minimum: 0, description: 'Billed seconds with no known price' })
  }, { title, xml: { name: 'cost' } })
}

export const GateMachineCost = machineCost(GateState, 'GateMachineCost')
export const MistMachineCost = machineCost(MachineState, 'MistMachineCost')

export const CostQuery = Type.Object({
  from: Type.Optional({ ...DateTime, description: 'Start (RFC 3339 with offset); default: the start of the current month, UTC' }),
  to: Type.Optional({ ...DateTime, description: 'End, excluded; default: now' })
}, { additionalProperties: false })

export const SizePriceParams = Type.Object({
  backend_id: Type.String({ pattern: '^[0-9A-Za-z]{1,64}$', maxLength: 64 }),
  size_id: Type.String({ minLength: 1, maxLength: 255 })
})

export const SizePriceBody = Type.Object({
  price: Type.String({ pattern: '^\\d{1,6}(\\.\\d{1,6})?$', maxLength: 13, description: 'The hourly price, a decimal string (at most 6 places)' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3, description: 'ISO 4217' }),
  from: { ...DateTime, description: 'When it takes effect (RFC 3339 with offset); it holds until another override' }
}, { title: 'SizePriceOverride', additionalProperties: false, xml: { name: 'price' } })

export const SizePriceHistory = Type.Object({
  size_id: Type.String(),
  prices: Type.Array(Type.Object({
    price: HourlyPrice,
    currency: Currency,
    source: Type.String({ description: 'The provider\'s price source, or override' }),
    effective_from: DateTime
  }, { xml: { name: 'price' } }))
}, { title: 'SizePriceHistory', xml: { name: 'size' } })

export const CostReportQuery = Type.Object({
  from: Type.Optional({ ...DateTime, description: 'Start (RFC 3339 with offset); default: the start of the current month, UTC' }),
  to: Type.Optional({ ...DateTime, description: 'End, excluded; default: now' }),
  group_by: Type.Optional(Type.Union(COST_GROUPS.map((group) => Type.Literal(group)), { description: 'Default machine. month and day are UTC' }))
}, { additionalProperties: false })

const Costs = Type.Array(Type.Object({ currency: Type.String({ pattern: '^[A-Z]{3}$', maxLength: 3 }), cost: Money }, { xml: { name: 'total' } }), { description: 'Per currency, never converted' })

export const CostReport = Type.Object({
  from: DateTime,
  to: DateTime,
  group_by: Type.String(),
  groups: Type.Array(Type.Object({
    key: Type.Union([Type.String(), Type.Null()], { description: 'The machine API id, backend id, provider, size, tag, user id, month (YYYY-MM) or day (YYYY-MM-DD); null: no size, no tag, no owner' }),
    costs: Costs,
    billed_seconds: Type.Integer({ minimum: 0 }),
    unpriced_seconds: Type.Integer({ minimum: 0 }),
    machines: Type.Integer({ minimum: 0 })
  }, { xml: { name: 'group' } }), { description: 'A machine counts under each of its tags: tag groups may add up to more than the totals' }),
  totals: Costs
}, { title: 'CostReport', xml: { name: 'costs' } })

export const ForecastQuery = Type.Object({
  month: Type.Optional(Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', maxLength: 7, description: 'YYYY-MM; default: the current month in the zone' })),
  tz: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_+\\-/]+$', description: 'The IANA zone the month is read in; default UTC' }))
}, { additionalProperties: false })

export const Forecast = Type.Object({
  month: Type.String(),
  timezone: Type.String(),
  from: DateTime,
  to: DateTime,
  as_of: DateTime,
  accrued: { ...Costs, description: 'What the month cost until now (all of it, for a past month)' },
  projected: { ...Costs, description: 'accrued, plus each machine as it is now until the month\'s end (the run rate)' },
  projected_with_schedules: { ...Costs, description: 'accrued, plus each machine as the enabled schedules\' fires ahead would move it' },
  schedules: Type.Integer({ minimum: 0, description: 'Schedules with a fire ahead in the month' }),
  unpriced_seconds: Type.Integer({ minimum: 0, description: 'Projected billed seconds with no known price (not counted as 0)' })
}, { title: 'CostForecast', xml: { name: 'forecast' } })

export const SavingsQuery = Type.Object({
  days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30, description: 'The window from now' }))
}, { additionalProperties: false })

export const Savings = Type.Object({
  schedule_id: Type.String(),
  from: DateTime,
  to: DateTime,
  savings: { ...Costs, description: 'Cost with the owner\'s other enabled schedules alone, less the cost with this one too; below 0 where it adds cost (a start)' },
  machines: Type.Array(Type.Object({
    machine_id: Type.Integer(),
    billed_seconds_without: Type.Integer({ minimum: 0 }),
    billed_seconds_with: Type.Integer({ minimum: 0 }),
    savings: Costs,
    reason: Type.Union([Type.String(), Type.Null()], { description: 'Why it saves nothing, where it does (DigitalOcean bills an off droplet)' })
  }, { xml: { name: 'machine' } }))
}, { title: 'ScheduleSavings', xml: { name: 'savings' } })
