import PRICE_TABLE from './price-table.json' with { type: 'json' }
import { decimalUnits, unitsDecimal } from '../../domain/pricing.ts'

/**
 * GCE's hourly prices, from a dated table shipped with the code (price-table.json): Compute Engine
 * bills a machine type as its vCPUs and its memory, each at its family's rate in its region. The
 * Cloud Billing catalog the rates come from cannot be reached from every server (nor from tests),
 * so the table is refreshed by `npm run gce-prices` where it can be (price-refresh.ts).
 */
export interface PriceTable {
  /** The day the rates were read (YYYY-MM-DD). */
  fetched_at: string
  source: string
  currency: string
  /** region -> machine family (e2, n2, …) -> USD per vCPU hour and per GiB hour, as decimal strings. */
  regions: Record<string, Record<string, { core: string, ram: string }>>
}

export const GCE_PRICE_TABLE: PriceTable = PRICE_TABLE

/**
 * Shared-core machine types bill a fraction of their vCPUs (cloud.google.com/compute/docs/general-purpose-machines#sharedcore).
 * f1-micro and g1-small have SKUs of their own, which the table does not hold: no price.
 */
const SHARED_CORE_VCPUS: Readonly<Record<string, number>> = { 'e2-micro': 0.25, 'e2-small': 0.5, 'e2-medium': 1 }
const OWN_SKUS = new Set(['f1-micro', 'g1-small'])

/**
 * A machine type's hourly price in the zone's region, as an exact 6-place decimal string; null
 * where the table has no rate for its family there (never a guess, never "0").
 */
export function hourlyPriceOf (table: PriceTable, region: string, machineType: string, guestCpus: number, memoryMb: number): string | null {
  if (OWN_SKUS.has(machineType)) return null
  const family = machineType.split('-')[0] ?? ''
  const rate = table.regions[region]?.[family]
  if (rate === undefined || guestCpus <= 0) return null
  const vcpus = SHARED_CORE_VCPUS[machineType] ?? guestCpus
  // Nano-units per hour stay exact in a double: fractions of a vCPU and of a GiB are the only inexact parts.
  const total = Number(decimalUnits(rate.core, 9)) * vcpus + Number(decimalUnits(rate.ram, 9)) * memoryMb / 1024
  return unitsDecimal(BigInt(Math.round(total / 1000)), 6)
}
