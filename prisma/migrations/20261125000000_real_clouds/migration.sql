-- Real clouds (issue 7).
-- A machine missing from one listing may be a blip of the cloud's: it is destroyed only after
-- it is missing from two complete listings in a row.
ALTER TABLE "machines" ADD COLUMN "missing_passes" INTEGER NOT NULL DEFAULT 0;

-- When the cloud last refused the backend's credentials (401/403); cleared by the next success.
ALTER TABLE "backends" ADD COLUMN "credentials_rejected_at" TIMESTAMPTZ(3);
ALTER TABLE "backends" ADD COLUMN "credentials_error" TEXT;

-- A size whose price the cloud does not publish says so (null), never 0.
ALTER TABLE "sizes" ALTER COLUMN "hourly_price" DROP NOT NULL;
ALTER TABLE "sizes" ALTER COLUMN "currency" DROP NOT NULL;

-- The sandbox keeps tags on its side, as a cloud does.
ALTER TABLE "sandbox_instances" ADD COLUMN "tags" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- Idempotency-Key on machine create: one row per (user, key); the first answer is kept and replayed.
CREATE TABLE "idempotency_keys" (
    "owner_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "backend_id" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "machine_uuid" UUID NOT NULL,
    "status" INTEGER,
    "response" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("owner_id","key")
);
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");
