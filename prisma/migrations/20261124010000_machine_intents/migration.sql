-- A machine create is recorded before the provider is called, so that a server dying between the
-- provider's answer and the machine row leaves a record that a job reconciles (adopts the cloud's
-- machine by our uuid, or marks the intent failed).
CREATE TABLE "machine_intents" (
    "uuid" UUID NOT NULL,
    "backend_id" TEXT NOT NULL,
    "owner_id" TEXT,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "size" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "key_id" TEXT,
    "hourly_price" DECIMAL(12,6),
    "currency" CHAR(3),
    "admin_password" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'creating',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "machine_intents_pkey" PRIMARY KEY ("uuid")
);

CREATE INDEX "machine_intents_backend_id_state_idx" ON "machine_intents"("backend_id", "state");
