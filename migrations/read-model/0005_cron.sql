-- Cron jobs and their runs (contract section 10).
CREATE TABLE cron_jobs (
    tenant_id       text NOT NULL,
    id              text NOT NULL,
    agent_id        text NOT NULL,
    name            text NOT NULL,
    prompt          text NOT NULL,
    schedule        text NOT NULL,
    timezone        text NOT NULL,
    enabled         boolean NOT NULL,
    overlap_policy  text NOT NULL,
    delivery        jsonb NOT NULL,
    -- Sealed with the operator key: signs `webhook` deliveries of the output.
    delivery_secret text,
    next_run_at     timestamptz,
    last_run_at     timestamptz,
    last_run_status text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITH (fillfactor = 80);
CREATE INDEX cron_jobs_by_created ON cron_jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX cron_jobs_by_agent ON cron_jobs (tenant_id, agent_id);
-- What the schedulers look for: the next due fires, across tenants, read page after page in
-- this order (many jobs are due at the same minute).
CREATE INDEX cron_jobs_due ON cron_jobs (next_run_at, tenant_id, id)
    WHERE enabled AND next_run_at IS NOT NULL;

CREATE TABLE cron_runs (
    tenant_id       text NOT NULL,
    id              text NOT NULL,
    cron_job_id     text NOT NULL,
    agent_id        text NOT NULL,
    scheduled_for   timestamptz NOT NULL,
    started_at      timestamptz,
    finished_at     timestamptz,
    status          text NOT NULL,
    session_id      text,
    input_tokens    bigint NOT NULL,
    output_tokens   bigint NOT NULL,
    delivery_status text NOT NULL,
    error           text,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX cron_runs_by_job ON cron_runs (tenant_id, cron_job_id, scheduled_for DESC, id DESC);
CREATE INDEX cron_runs_by_session ON cron_runs (tenant_id, session_id) WHERE session_id IS NOT NULL;
-- What the schedulers time out.
CREATE INDEX cron_runs_running ON cron_runs (started_at) WHERE status = 'running';
