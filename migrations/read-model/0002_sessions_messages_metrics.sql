-- Sessions and messages, the agents' budget counters, and the hourly metric rollups the
-- metrics routes read (they never scan messages).

-- Token counters per budget period. tokens_today_* (from 0001) belong to usage_day; a reader
-- shows them as 0 once that day is over.
ALTER TABLE agents
    ADD COLUMN usage_day               date,
    ADD COLUMN budget_day_alerted      boolean NOT NULL DEFAULT false,
    ADD COLUMN budget_day_exhausted    boolean NOT NULL DEFAULT false,
    ADD COLUMN usage_month             date,
    ADD COLUMN tokens_month_input      bigint NOT NULL DEFAULT 0,
    ADD COLUMN tokens_month_output     bigint NOT NULL DEFAULT 0,
    ADD COLUMN budget_month_alerted    boolean NOT NULL DEFAULT false,
    ADD COLUMN budget_month_exhausted  boolean NOT NULL DEFAULT false;

-- open_session_count (from 0001) is kept by deltas: a session archive or a prune does not load
-- the session's agent, so the projector adds +1/-1 per agent instead of writing a value.

-- When a rejection can be retried (BUDGET_EXHAUSTED: the budget's reset), and how many events
-- an accepted command produced (the number of sessions a prune archived).
ALTER TABLE command_outcomes
    ADD COLUMN retry_at     timestamptz,
    ADD COLUMN event_count  integer NOT NULL DEFAULT 0;

CREATE TABLE sessions (
    tenant_id         text NOT NULL,
    id                text NOT NULL,
    agent_id          text NOT NULL,
    name              text,
    status            text NOT NULL,
    origin            text NOT NULL,
    cron_job_id       text,
    message_count     bigint NOT NULL,
    token_count       bigint NOT NULL,
    created_at        timestamptz NOT NULL,
    last_activity_at  timestamptz NOT NULL,
    archived_at       timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sessions_by_created ON sessions (tenant_id, created_at DESC, id DESC);
CREATE INDEX sessions_by_agent ON sessions (tenant_id, agent_id, created_at DESC, id DESC);
-- Prune looks for active sessions by idle time, agent deletion by agent.
CREATE INDEX sessions_active ON sessions (tenant_id, last_activity_at) WHERE status = 'active';
CREATE INDEX sessions_active_by_agent ON sessions (tenant_id, agent_id) WHERE status = 'active';

CREATE TABLE messages (
    tenant_id   text NOT NULL,
    session_id  text NOT NULL,
    sequence    bigint NOT NULL,
    id          text NOT NULL,
    agent_id    text NOT NULL,
    role        text NOT NULL,
    content     text NOT NULL,
    usage       jsonb,
    tool_calls  jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, session_id, sequence)
);
CREATE UNIQUE INDEX messages_by_id ON messages (tenant_id, id);

-- One row per agent and UTC hour with activity.
CREATE TABLE metrics_agent_hourly (
    tenant_id           text NOT NULL,
    agent_id            text NOT NULL,
    hour                timestamptz NOT NULL,
    input_tokens        bigint NOT NULL,
    output_tokens       bigint NOT NULL,
    cost_micro_usd      bigint NOT NULL,
    user_messages       bigint NOT NULL,
    assistant_messages  bigint NOT NULL,
    sessions_created    bigint NOT NULL,
    tool_calls          bigint NOT NULL,
    tool_failures       bigint NOT NULL,
    -- A latency sketch (see domain::latency): [[bucket, count], …].
    latency             jsonb NOT NULL,
    PRIMARY KEY (tenant_id, agent_id, hour)
) WITH (fillfactor = 70);  -- room for the in-page (HOT) updates every batch makes
CREATE INDEX metrics_agent_hourly_by_hour ON metrics_agent_hourly (tenant_id, hour);

-- One row per tenant, UTC hour and model ('' for activity without a reported model: user
-- messages, new sessions, replies without usage).
CREATE TABLE metrics_tenant_hourly (
    tenant_id           text NOT NULL,
    hour                timestamptz NOT NULL,
    model               text NOT NULL,
    provider            text NOT NULL,
    input_tokens        bigint NOT NULL,
    output_tokens       bigint NOT NULL,
    cost_micro_usd      bigint NOT NULL,
    user_messages       bigint NOT NULL,
    assistant_messages  bigint NOT NULL,
    sessions_created    bigint NOT NULL,
    tool_calls          bigint NOT NULL,
    tool_failures       bigint NOT NULL,
    latency             jsonb NOT NULL,
    PRIMARY KEY (tenant_id, hour, model)
) WITH (fillfactor = 70);

-- The tenant's reply latencies per UTC day: a summary over many days merges one sketch per
-- day (and hourly ones only for the partial days at its edges).
CREATE TABLE metrics_tenant_daily (
    tenant_id  text NOT NULL,
    day        date NOT NULL,
    latency    jsonb NOT NULL,
    PRIMARY KEY (tenant_id, day)
) WITH (fillfactor = 70);

-- Adds two latency sketches ([[bucket, count], …], see domain::latency) bucket by bucket.
CREATE FUNCTION merge_latency(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_array(bucket, total) ORDER BY bucket), '[]'::jsonb)
    FROM (SELECT (e->>0)::int AS bucket, sum((e->>1)::bigint) AS total
          FROM jsonb_array_elements(a || b) AS e
          GROUP BY 1) AS merged
$$;
