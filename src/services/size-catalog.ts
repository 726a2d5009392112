import type { Backend, PrismaClient, Size } from '../generated/prisma/client.ts'
import { parsePrice } from '../domain/pricing.ts'
import type { ProviderRegistry } from '../providers/provider-registry.ts'

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
      this.db.size.deleteMany({ where: { backendId: backend.id, sizeId: { notIn: rows.map((row) => row.sizeId) } } })
    ])
    return this.db.size.findMany({ where: { backendId: backend.id }, orderBy: { sizeId: 'asc' } })
  }
}
