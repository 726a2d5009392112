-- A backend's provider is the name its provider plugin is registered under (src/providers/provider-registry.ts
-- is the one source of provider names, checked when a backend is added): text, so that adding a cloud needs no
-- migration of an enum that would have to follow the registry.
ALTER TABLE "backends" ALTER COLUMN "provider" TYPE TEXT USING "provider"::text;
DROP TYPE "provider_type";
