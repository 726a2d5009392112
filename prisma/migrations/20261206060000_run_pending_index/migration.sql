-- A run's end is checked after each machine's outcome: "is any machine still pending?" is one
-- index probe rather than a count over the run's rows (a 1,000-machine run read ~500,000 rows).
CREATE INDEX "schedule_run_machines_run_id_outcome_idx" ON "schedule_run_machines" ("run_id", "outcome");
