-- When the backend's machines were last listed whole at the cloud, by any server: a list request
-- within LIST_FRESH_MS of it answers from the records instead of listing the cloud again.
ALTER TABLE "backends" ADD COLUMN "listed_at" TIMESTAMPTZ(3);
