-- Scheduled actions (docs/costs.md, "Schedules"): each schedule keeps its next fire time; a run is
-- unique on (schedule, fire time), which is what makes a fire run once across servers and restarts.
ALTER TYPE "transition_cause" ADD VALUE 'schedule';

CREATE TYPE "schedule_action" AS ENUM ('start', 'stop', 'reboot', 'destroy');
CREATE TYPE "run_status" AS ENUM ('running', 'succeeded', 'partial', 'failed', 'missed');
CREATE TYPE "run_outcome" AS ENUM ('pending', 'succeeded', 'failed', 'skipped');

CREATE TABLE "schedules" (
  "id" TEXT PRIMARY KEY,
  "owner_id" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "name" TEXT NOT NULL,
  "action" "schedule_action" NOT NULL,
  "trigger" JSONB NOT NULL,
  "selector" JSONB NOT NULL,
  "start_after" TIMESTAMPTZ(3),
  "expires" TIMESTAMPTZ(3),
  "max_run_count" INTEGER,
  "run_count" INTEGER NOT NULL DEFAULT 0,
  "max_machines" INTEGER,
  "misfire_grace_s" INTEGER NOT NULL DEFAULT 300,
  "enabled" BOOLEAN NOT NULL DEFAULT true,
  "next_fire_at" TIMESTAMPTZ(3),
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "updated_at" TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "schedules_owner_id_idx" ON "schedules" ("owner_id");
CREATE INDEX "schedules_next_fire_at_idx" ON "schedules" ("next_fire_at");

CREATE TABLE "schedule_runs" (
  "id" BIGSERIAL PRIMARY KEY,
  "schedule_id" TEXT NOT NULL REFERENCES "schedules"("id") ON DELETE CASCADE,
  "fire_at" TIMESTAMPTZ(3) NOT NULL,
  "started_at" TIMESTAMPTZ(3) NOT NULL,
  "lateness_ms" INTEGER NOT NULL,
  "manual" BOOLEAN NOT NULL DEFAULT false,
  "status" "run_status" NOT NULL,
  "detail" TEXT,
  "finished_at" TIMESTAMPTZ(3)
);
CREATE UNIQUE INDEX "schedule_runs_schedule_id_fire_at_key" ON "schedule_runs" ("schedule_id", "fire_at");

CREATE TABLE "schedule_run_machines" (
  "run_id" BIGINT NOT NULL REFERENCES "schedule_runs"("id") ON DELETE CASCADE,
  "machine_id" INTEGER NOT NULL REFERENCES "machines"("id") ON DELETE CASCADE,
  "outcome" "run_outcome" NOT NULL,
  "detail" TEXT,
  "at" TIMESTAMPTZ(3) NOT NULL,
  PRIMARY KEY ("run_id", "machine_id")
);
