-- The cloud's long-running operation an action started (a driver's opaque reference, e.g. an Azure
-- poller's serialized state), followed to its end by whichever server syncs the backend next;
-- cleared when it has ended.
ALTER TABLE "machines" ADD COLUMN "operation" TEXT;
