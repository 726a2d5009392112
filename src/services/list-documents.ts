/**
 * Machine lists already rendered as JSON, per backend, each under the version of the rows it was
 * rendered from (readBackendMachinesVersion). A list whose rows did not change since is sent as
 * it was rendered: a large account's list is rendered once per change, not once per request.
 * Every request still asks the database for the version, so whatever any server wrote is seen
 * at once; the cache only spares rendering. Bounded: the least recently used backend goes first.
 */
export class ListDocuments {
  readonly #entries = new Map<string, { version: string, text: string }>()

  constructor (private readonly maxBackends = 16) {}

  async get (backendId: string, version: string, render: () => Promise<string>): Promise<string> {
    const cached = this.#entries.get(backendId)
    this.#entries.delete(backendId)
    const text = cached?.version === version ? cached.text : await render()
    this.#entries.set(backendId, { version, text })
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxBackends) break
      this.#entries.delete(oldest)
    }
    return text
  }
}
