import type { Stratus } from '../started-server.ts'

/** One cloud account at a provider, and what a test can do behind Stratus's back. */
export interface CloudAccount {
  /** The POST /backends fields besides title and provider. */
  fields: Record<string, unknown>
  /** A running machine made outside Stratus (the cloud's console); its provider id. */
  addOutside(backend: string, name: string): Promise<string>
  /** Stops it at the cloud, as someone in the console would. */
  stopOutside(backend: string, id: string): Promise<void>
  /** Deletes it at the cloud. */
  removeOutside(backend: string, id: string): Promise<void>
  /** The tags the cloud holds for a machine. */
  tagsAt(backend: string, id: string): Promise<string[]>
  /** How many machines the cloud holds for the account. */
  count(backend: string): Promise<number>
}

export interface CloudFaults {
  /** The account's next `times` requests answer this status (0: never answer). */
  fail(account: CloudAccount, status: number, times: number, headers?: Record<string, string>): void
  clear(): void
  /** The next create is done by the cloud but answered only after `delayMs` (past the client's timeout). */
  loseCreateAnswer(account: CloudAccount, delayMs: number): void
  /**
   * Clouds whose actions are operations to follow: the next action is accepted, but its operation
   * ends in failure. Returns what the recorded reason must match.
   */
  failNextOperation?(account: CloudAccount): RegExp
}

/** A provider under the shared scenarios: the cloud (a fake, or the built-in simulator) and how to use it. */
export interface ProviderHarness {
  provider: string
  /** Server settings (environment variables, as .env.example names them) pointing Stratus at the cloud. */
  env: Record<string, string>
  /** Fields of a valid machine create (a provider's own fields too: Docker's docker_*). */
  machine: { size: string, image: string, location?: string, [field: string]: unknown }
  /** false: the cloud cannot tag a machine after it is made (Docker), so a tag is kept by Stratus alone. */
  tagsAtCloud?: false
  /** true: a create is done when the cloud answers it (a Docker container is started), so the first state recorded is running. */
  createAnswersRunning?: true
  /** A new account at the cloud. */
  account(stratus: Stratus): Promise<CloudAccount>
  /** What the cloud still bills for the account besides its machines (Azure: NICs, IPs, disks). */
  leftovers?(account: CloudAccount): Promise<string[]>
  /** The account's fields with a credential the cloud refuses. */
  badCredentials(fields: Record<string, unknown>): Record<string, unknown>
  /** Per-request fault injection; the simulator has none (its faults are per backend). */
  faults?: CloudFaults
  /** Machines per listing page, where the cloud pages; with addMany to fill several pages. */
  paging?: { pageSize: number, addMany(account: CloudAccount, count: number): Promise<void> }
  close(): Promise<void>
}
