-- The cloud's own status beside ours (docs/costs.md, "The cloud's status"): Azure's stopped VM
-- bills while allocated and not once deallocated, both our "stopped". Rows from before this carry
-- none and bill by the provider's rule for our state.
ALTER TABLE "machines" ADD COLUMN "provider_state" TEXT;
ALTER TABLE "transitions" ADD COLUMN "provider_state" TEXT;
ALTER TABLE "transitions" ADD COLUMN "provider_at" TIMESTAMPTZ(3);
