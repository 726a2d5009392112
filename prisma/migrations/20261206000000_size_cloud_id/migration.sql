-- A size's other id at its cloud (GCE's numeric machine-type id beside its name): a create may name
-- a size by either, as the backends document's GCE example does ("size": "1000").
ALTER TABLE "sizes" ADD COLUMN "cloud_id" TEXT;
