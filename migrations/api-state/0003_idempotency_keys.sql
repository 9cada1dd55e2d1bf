-- Idempotency keys of POST/PATCH/DELETE requests, per tenant, kept 24 hours. A row is claimed
-- by the request that inserts it (locked_until bounds how long its owner may hold it), then
-- completed with the response to replay.
CREATE TABLE idempotency_keys (
    tenant_id        text NOT NULL,
    key              text NOT NULL,
    fingerprint      text NOT NULL,
    created_at       timestamptz NOT NULL,
    locked_until     timestamptz,
    response_status  integer,
    response_headers jsonb,
    response_body    bytea,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (created_at);
