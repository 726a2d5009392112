-- The audit log is pruned by age (AUDIT_RETENTION_DAYS): the pruning pass finds old entries by time.
CREATE INDEX "audit_entries_at_idx" ON "audit_entries"("at");
