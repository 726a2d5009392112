-- CreateEnum
CREATE TYPE "provider_type" AS ENUM ('sandbox', 'ec2', 'azure', 'digitalocean', 'gce', 'docker');

-- CreateEnum
CREATE TYPE "machine_state" AS ENUM ('pending', 'starting', 'rebooting', 'running', 'stopping', 'destroying', 'stopped', 'suspended', 'error', 'unknown', 'terminated');

-- CreateEnum
CREATE TYPE "transition_cause" AS ENUM ('api_action', 'provider_sync', 'restart_recovery', 'action_failed');

-- CreateTable
CREATE TABLE "backends" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "provider" "provider_type" NOT NULL,
    "credentials" TEXT NOT NULL,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "owner_id" TEXT,
    "deleted_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "backends_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "keys" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "private_key" TEXT,
    "owner_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "machines" (
    "id" SERIAL NOT NULL,
    "uuid" UUID NOT NULL,
    "backend_id" TEXT NOT NULL,
    "provider_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "state" "machine_state" NOT NULL,
    "kind" TEXT NOT NULL,
    "size" TEXT,
    "image" TEXT,
    "location" TEXT,
    "key_id" TEXT,
    "public_ips" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "private_ips" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "extra" JSONB NOT NULL DEFAULT '{}',
    "hourly_price" DECIMAL(12,6),
    "currency" CHAR(3),
    "last_transition" TIMESTAMPTZ(3) NOT NULL,
    "public_url" TEXT,
    "admin_password" TEXT,
    "owner_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "destroyed_at" TIMESTAMPTZ(3),

    CONSTRAINT "machines_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transitions" (
    "id" BIGSERIAL NOT NULL,
    "machine_id" INTEGER NOT NULL,
    "from_state" "machine_state",
    "to_state" "machine_state" NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cause" "transition_cause" NOT NULL,
    "detail" TEXT,

    CONSTRAINT "transitions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sizes" (
    "backend_id" TEXT NOT NULL,
    "size_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "cpus" INTEGER NOT NULL,
    "ram_mb" INTEGER NOT NULL,
    "disk_gb" INTEGER NOT NULL,
    "hourly_price" DECIMAL(12,6) NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "fetched_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sizes_pkey" PRIMARY KEY ("backend_id","size_id")
);

-- CreateTable
CREATE TABLE "sandbox_instances" (
    "id" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "client_token" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "size" TEXT NOT NULL,
    "image" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "target" TEXT,
    "settles_at" TIMESTAMPTZ(3),
    "public_ip" TEXT NOT NULL,
    "private_ip" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sandbox_instances_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "backends_owner_id_idx" ON "backends"("owner_id");

-- CreateIndex
CREATE INDEX "keys_owner_id_idx" ON "keys"("owner_id");

-- CreateIndex
CREATE UNIQUE INDEX "machines_uuid_key" ON "machines"("uuid");

-- CreateIndex
CREATE INDEX "machines_state_idx" ON "machines"("state");

-- CreateIndex
CREATE INDEX "machines_owner_id_idx" ON "machines"("owner_id");

-- CreateIndex
CREATE UNIQUE INDEX "machines_backend_id_provider_id_key" ON "machines"("backend_id", "provider_id");

-- CreateIndex
CREATE INDEX "transitions_machine_id_at_idx" ON "transitions"("machine_id", "at");

-- CreateIndex
CREATE INDEX "sandbox_instances_account_idx" ON "sandbox_instances"("account");

-- CreateIndex
CREATE UNIQUE INDEX "sandbox_instances_account_client_token_key" ON "sandbox_instances"("account", "client_token");

-- AddForeignKey
ALTER TABLE "machines" ADD CONSTRAINT "machines_backend_id_fkey" FOREIGN KEY ("backend_id") REFERENCES "backends"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "machines" ADD CONSTRAINT "machines_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transitions" ADD CONSTRAINT "transitions_machine_id_fkey" FOREIGN KEY ("machine_id") REFERENCES "machines"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sizes" ADD CONSTRAINT "sizes_backend_id_fkey" FOREIGN KEY ("backend_id") REFERENCES "backends"("id") ON DELETE CASCADE ON UPDATE CASCADE;
