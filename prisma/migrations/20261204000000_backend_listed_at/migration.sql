-- When the backend's machines were last listed whole at the cloud, by any server, and how many
-- there were: a list request within LIST_FRESH_MS of it answers from the records instead of
-- listing the cloud again, and the next listing waits as long as the cloud's request budget
-- asks for a listing of that size (src/providers/listing-budget.ts).
ALTER TABLE "backends" ADD COLUMN "listed_at" TIMESTAMPTZ(3);
ALTER TABLE "backends" ADD COLUMN "listed_count" INTEGER;
