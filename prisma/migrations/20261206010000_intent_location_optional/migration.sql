-- A create may leave out its location where the provider needs none (a Docker engine is one place),
-- as the backends document's Docker example does.
ALTER TABLE "machine_intents" ALTER COLUMN "location" DROP NOT NULL;
