-- Tenants, API keys and agents, the activity log, command outcomes and the projector's
-- checkpoints. Every row of tenant data carries tenant_id and every query filters on it.

CREATE TABLE tenants (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    plan        text NOT NULL,
    per_minute  integer,
    per_hour    integer,
    created_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL,
    name          text NOT NULL,
    scope         text NOT NULL,
    key_hash      text NOT NULL UNIQUE,
    prefix        text NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    created_at    timestamptz NOT NULL
);
CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at DESC, id DESC);

CREATE TABLE agents (
    tenant_id            text NOT NULL,
    id                   text NOT NULL,
    name                 text NOT NULL,
    -- The name compared ignoring case (Unicode lowercase, computed by the projector).
    name_key             text NOT NULL,
    role                 text,
    description          text,
    status               text NOT NULL,
    config               jsonb NOT NULL,
    soul                 text,
    soul_sha256          text,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    last_active_at       timestamptz,
    last_heartbeat_at    timestamptz,
    tokens_today_input   bigint NOT NULL DEFAULT 0,
    tokens_today_output  bigint NOT NULL DEFAULT 0,
    open_session_count   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    -- Names are unique per tenant ignoring case. The projector decides that; this is the
    -- backstop, checked at commit because a batch may swap two names.
    CONSTRAINT agents_name_unique UNIQUE (tenant_id, name_key) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX agents_by_created ON agents (tenant_id, created_at DESC, id DESC);
CREATE INDEX agents_by_status ON agents (tenant_id, status, created_at DESC, id DESC);
-- The scheduler's scan for silent agents.
CREATE INDEX agents_heartbeat_due ON agents (last_heartbeat_at) WHERE status IN ('online', 'degraded');

CREATE TABLE activity (
    tenant_id     text NOT NULL,
    sequence      bigint NOT NULL,
    id            text NOT NULL,
    type          text NOT NULL,
    timestamp     timestamptz NOT NULL,
    actor_type    text NOT NULL,
    actor_id      text NOT NULL,
    agent_id      text,
    subject_type  text NOT NULL,
    subject_id    text NOT NULL,
    data          jsonb NOT NULL,
    command_id    text NOT NULL,
    PRIMARY KEY (tenant_id, sequence)
);
CREATE UNIQUE INDEX activity_by_id ON activity (id);

CREATE TABLE activity_heads (
    tenant_id      text PRIMARY KEY,
    last_sequence  bigint NOT NULL
);

-- The outcome of every decided command, read by the API that appended it.
CREATE TABLE command_outcomes (
    command_id     text PRIMARY KEY,
    tenant_id      text NOT NULL,
    partition      integer NOT NULL,
    "offset"       bigint NOT NULL,
    kind           text NOT NULL,
    accepted       boolean NOT NULL,
    error_code     text,
    error_message  text,
    error_details  jsonb,
    decided_at     timestamptz NOT NULL
);

-- The projector's position per log partition, committed with the writes it covers.
CREATE TABLE checkpoints (
    partition  integer PRIMARY KEY,
    "offset"   bigint NOT NULL
);
