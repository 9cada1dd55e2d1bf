-- The activity log's per-tenant hash chain, and the indexes of its queries.
--
-- Entries written before this migration have no hash: `agenfleet replay` rebuilds them with
-- their chain.

ALTER TABLE activity
    ADD COLUMN hash       text NOT NULL DEFAULT '',
    ADD COLUMN prev_hash  text NOT NULL DEFAULT '',
    -- `cron` of `cron.completed`: what a `cron.*` filter matches.
    ADD COLUMN category   text GENERATED ALWAYS AS (split_part(type, '.', 1)) STORED;
ALTER TABLE activity ALTER COLUMN hash DROP DEFAULT, ALTER COLUMN prev_hash DROP DEFAULT;

ALTER TABLE activity_heads
    ADD COLUMN last_hash text NOT NULL
        DEFAULT '0000000000000000000000000000000000000000000000000000000000000000';
ALTER TABLE activity_heads ALTER COLUMN last_hash DROP DEFAULT;

-- Newest first (or after= ascending) within each filter: the primary key
-- (tenant_id, sequence) serves the unfiltered queries.
CREATE INDEX activity_by_type ON activity (tenant_id, type, sequence);
CREATE INDEX activity_by_category ON activity (tenant_id, category, sequence);
CREATE INDEX activity_by_agent ON activity (tenant_id, agent_id, sequence);
CREATE INDEX activity_by_actor ON activity (tenant_id, actor_type, sequence);
CREATE INDEX activity_by_time ON activity (tenant_id, timestamp);

-- Entries per tenant and type, agent or actor type, kept by the projector: the total of a
-- list filtered on one of those is read here instead of counted (millions of entries).
CREATE TABLE activity_counts (
    tenant_id  text NOT NULL,
    dimension  text NOT NULL,  -- 'type', 'agent' or 'actor'
    key        text NOT NULL,
    count      bigint NOT NULL,
    PRIMARY KEY (tenant_id, dimension, key)
) WITH (fillfactor = 70);
