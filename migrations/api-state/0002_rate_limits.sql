-- Request counts per tenant in the current fixed UTC minute and hour, shared by every API
-- process. One row per tenant, so one atomic upsert counts a request against both windows.
CREATE TABLE rate_limits (
    tenant_id     text PRIMARY KEY,
    minute_start  timestamptz NOT NULL,
    minute_count  integer NOT NULL,
    hour_start    timestamptz NOT NULL,
    hour_count    integer NOT NULL
);
