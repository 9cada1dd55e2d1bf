-- The webhook dispatcher's queue: one row per delivery of an event to an endpoint (or to an
-- agent's gateway), written by the projector in the transaction that accepts the event, then
-- claimed, sent and retried by the dispatchers. Outside the read models: a rebuild neither
-- re-creates nor re-sends deliveries, and the swap of a rebuilt schema leaves them alone.
CREATE TABLE deliveries (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL,
    -- Exactly one of: the endpoint; the agent whose gateway (config.gateway) receives a user
    -- message; the cron job whose run's output this is (with the run).
    webhook_id       text,
    agent_id         text,
    cron_job_id      text,
    cron_run_id      text,
    -- Who receives it: concurrency is limited per target.
    target           text GENERATED ALWAYS AS (coalesce(webhook_id, agent_id, cron_job_id)) STORED,
    -- The activity entry the body is built from (its id is the `webhook-id`).
    event_id         text NOT NULL,
    event_type       text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    -- When the next attempt is due. While an attempt is in flight: when its lease runs out
    -- (a dispatcher that died mid-send is replaced then). NULL once final.
    next_attempt_at  timestamptz,
    -- The claim of the attempt in flight: only its holder may record the result.
    lease_token      text,
    last_status_code integer,
    last_error       text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_webhook ON deliveries (tenant_id, webhook_id, created_at DESC, id DESC);

CREATE TABLE delivery_attempts (
    delivery_id text NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number      integer NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer,
    duration_ms integer NOT NULL,
    error       text,
    PRIMARY KEY (delivery_id, number)
);

-- Since when each target has failed without a success, to disable an endpoint that has
-- failed for AGENFLEET_WEBHOOK_DISABLE_AFTER.
CREATE TABLE target_health (
    target          text PRIMARY KEY,
    tenant_id       text NOT NULL,
    failing_since   timestamptz,
    last_success_at timestamptz
);
