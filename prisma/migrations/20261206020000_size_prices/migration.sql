-- Each change of a size's price, kept with when it took effect and where it came from, so that a
-- machine's past is priced at the price in force then, not today's (docs/costs.md).
CREATE TABLE "size_prices" (
  "id" BIGSERIAL PRIMARY KEY,
  "backend_id" TEXT NOT NULL REFERENCES "backends"("id") ON DELETE CASCADE,
  "size_id" TEXT NOT NULL,
  "hourly_price" DECIMAL(12, 6),
  "currency" CHAR(3),
  "source" TEXT NOT NULL,
  "effective_from" TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "size_prices_backend_id_size_id_effective_from_idx" ON "size_prices" ("backend_id", "size_id", "effective_from");
