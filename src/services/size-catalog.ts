import type { Backend, PrismaClient, Size } from '../generated/prisma/client.ts'
import { parsePrice } from '../domain/pricing.ts'
import type { ProviderRegistry } from '../providers/provider-registry.ts'
import { OVERRIDE } from './machine-costs.ts'

/**
 * Sizes and their hourly prices per backend, fetched from the provider and kept with the time
 * they were fetched; reused until they are older than the cache TTL.
 */
export class SizeCatalog {
  constructor (
    private readonly db: PrismaClient,
    private readonly providers: ProviderRegistry,
    private readonly ttlMs: number
  ) {}

  async list (backend: Backend): Promise<Size[]> {
    const cached = await this.db.size.findMany({ where: { backendId: backend.id }, orderBy: { sizeId: 'asc' } })
    const fresh = cached.length > 0 && cached.every((size) => Date.now() - size.fetchedAt.getTime() < this.ttlMs)
    return fresh ? cached : this.refresh(backend)
  }

  /** A size by its id, or by the other id its cloud gives it (cloudId). */
  async find (backend: Backend, sizeId: string): Promise<Size | undefined> {
    const sizes = await this.list(backend)
    return sizes.find((size) => size.sizeId === sizeId) ?? sizes.find((size) => size.cloudId === sizeId)
  }

  /**
   * Each size whose price differs from the catalog's last one kept for it (owners' overrides
   * aside) gets a new price in force from now: a refresh that finds the same prices writes nothing.
   * Two servers refreshing at once may both insert the same change: the same price twice, which
   * prices nothing differently.
   */
  #recordChanges (backend: Backend, rows: Array<{ sizeId: string, hourlyPrice: string | null, currency: string | null }>, at: Date) {
    const source = this.providers.definitionFor(backend).priceSource
    return this.db.$executeRaw`
      INSERT INTO size_prices (backend_id, size_id, hourly_price, currency, source, effective_from)
      SELECT ${backend.id}, x.size_id, x.hourly_price, x.currency, ${source}, ${at}
      FROM jsonb_to_recordset(${JSON.stringify(rows.map((row) => ({ size_id: row.sizeId, hourly_price: row.hourlyPrice, currency: row.currency })))}::jsonb)
        AS x(size_id text, hourly_price numeric, currency text)
      LEFT JOIN LATERAL (
        SELECT true AS found, p.hourly_price, p.currency FROM size_prices p
        WHERE p.backend_id = ${backend.id} AND p.size_id = x.size_id AND p.source <> ${OVERRIDE} ORDER BY p.effective_from DESC, p.id DESC LIMIT 1
      ) last ON true
      WHERE last.found IS NULL OR last.hourly_price IS DISTINCT FROM x.hourly_price OR last.currency IS DISTINCT FROM x.currency`
  }

  async refresh (backend: Backend): Promise<Size[]> {
    const sizes = await this.providers.driverFor(backend).listSizes()
    const fetchedAt = new Date()
    const rows = sizes.map((size) => {
      const price = parsePrice(size.hourlyPrice, size.currency)
      return {
        backendId: backend.id,
        sizeId: size.id,
        cloudId: size.cloudId ?? null,
        name: size.name,
        cpus: size.cpus,
        ramMb: size.ramMb,
        diskGb: size.diskGb,
        hourlyPrice: price?.amount ?? null,
        currency: price?.currency ?? null,
        fetchedAt
      }
    })
    // An upsert, not delete-and-insert: concurrent refreshes (two first creates on a fresh
    // backend, or on two servers when the cache expires) both succeed, and readers never see
    // an empty catalog.
    await this.db.$transaction([
      ...rows.map((row) => this.db.size.upsert({
        where: { backendId_sizeId: { backendId: row.backendId, sizeId: row.sizeId } },
        create: row,
        update: row
      })),
      this.db.size.deleteMany({ where: { backendId: backend.id, sizeId: { notIn: rows.map((row) => row.sizeId) } } }),
      this.#recordChanges(backend, rows, fetchedAt)
    ])
    return this.db.size.findMany({ where: { backendId: backend.id }, orderBy: { sizeId: 'asc' } })
  }
}
