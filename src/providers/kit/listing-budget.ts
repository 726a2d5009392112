/**
 * A cloud's published request budget, as far as listing an account's machines costs it: clouds
 * count every page. DigitalOcean allows 5,000 requests an hour per token and serves 200 droplets
 * a page; listing 10,000 droplets is 50 requests, and listing them every second would spend the
 * hour's budget in two minutes.
 */
export interface ListingBudget {
  /** Requests the cloud allows an account per hour. */
  requestsPerHour: number
  /** Machines one page of a listing holds at most. */
  machinesPerCall: number
  /** Paged lists one listing reads (Azure: VMs, NICs and public IPs). */
  callsPerListing: number
}

/** The requests a listing of this many machines costs. */
export const listingCalls = (budget: ListingBudget, machines: number): number =>
  budget.callsPerListing * Math.max(1, Math.ceil(machines / budget.machinesPerCall))

/**
 * The least time between two listings of one backend, so that listing it again and again (the
 * watch of machines in transition, the periodic sync, list requests) uses at most `percent` of
 * the cloud's budget and leaves the rest to actions, creates and the account's other tools.
 * `otherCalls`: what the last pass cost besides its listing (Azure operations looked at, one call
 * each). 0 with no budget (the simulator) or percent 0 (not paced).
 */
export function listingSpacingMs (budget: ListingBudget | undefined, machines: number, percent: number, otherCalls = 0): number {
  if (budget === undefined || percent <= 0) return 0
  return Math.ceil((listingCalls(budget, machines) + otherCalls) * 3_600_000 * 100 / (budget.requestsPerHour * percent))
}
