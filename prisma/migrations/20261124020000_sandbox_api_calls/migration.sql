-- The sandbox counts the API calls each account makes, as a cloud does for its rate limits: how
-- the tests check that many servers together list a backend at most once per poll interval.
CREATE TABLE "sandbox_api_calls" (
    "account" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "sandbox_api_calls_pkey" PRIMARY KEY ("account","operation")
);
