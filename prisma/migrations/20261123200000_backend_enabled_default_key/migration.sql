-- mist.io clients enable and disable backends, and create machines with the user's default key.
ALTER TABLE "backends" ADD COLUMN "enabled" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "keys" ADD COLUMN "is_default" BOOLEAN NOT NULL DEFAULT false;
