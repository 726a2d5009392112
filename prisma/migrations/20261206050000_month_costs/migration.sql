-- Closed months rolled up per machine (docs/costs.md, "Closed months"), so that a year of reports
-- does not price every transition again. A month's row says through which transition and price
-- change its machines were priced: a later one that lands in the month makes its machine's row stale.
CREATE TABLE "cost_months" (
  "month" DATE PRIMARY KEY,
  "transitions_through" BIGINT NOT NULL,
  "prices_through" BIGINT NOT NULL,
  "rolled_at" TIMESTAMPTZ(3) NOT NULL
);

CREATE TABLE "machine_month_costs" (
  "machine_id" INTEGER NOT NULL REFERENCES "machines"("id") ON DELETE CASCADE,
  "month" DATE NOT NULL,
  "costs" JSONB NOT NULL,
  "billed_seconds" INTEGER NOT NULL,
  "unpriced_seconds" INTEGER NOT NULL,
  PRIMARY KEY ("machine_id", "month")
);
CREATE INDEX "machine_month_costs_month_idx" ON "machine_month_costs" ("month");
