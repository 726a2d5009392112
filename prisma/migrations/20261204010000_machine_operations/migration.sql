-- The cloud's long-running operation an action started (a driver's opaque reference, e.g. an Azure
-- poller's serialized state), followed to its end by whichever server syncs the backend next;
-- cleared when it has ended.
ALTER TABLE "machines" ADD COLUMN "operation" TEXT;

-- The cloud's reason the machine's last action (or its create) failed, shown with the machine
-- (the backends API's last_error); cleared when the next action is accepted.
ALTER TABLE "machines" ADD COLUMN "last_error" TEXT;

-- How many operations the backend's last pass looked at, one call each: with the listing's own
-- calls, what the next pass waits for by the cloud's request budget (src/providers/listing-budget.ts).
ALTER TABLE "backends" ADD COLUMN "listed_operations" INTEGER;
