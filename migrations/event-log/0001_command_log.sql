-- The Postgres event log (the `postgres://` backend of the `event-log` crate): a fixed set of
-- partitions, each an append-only sequence of command records with gap-free offsets.
-- Idempotent; applied by `agenfleet migrate` (event_log::migrate_postgres_log), which also
-- inserts one `partitions` row per partition of the configured count.

CREATE SCHEMA IF NOT EXISTS eventlog;

-- The head of each partition. An append takes the next offset by updating this row and holds
-- its lock until commit, so the offsets of a partition become visible strictly in order.
CREATE TABLE IF NOT EXISTS eventlog.partitions (
    partition   integer PRIMARY KEY CHECK (partition >= 0),
    next_offset bigint  NOT NULL DEFAULT 0 CHECK (next_offset >= 0)
);

CREATE TABLE IF NOT EXISTS eventlog.records (
    partition   integer     NOT NULL,
    "offset"    bigint      NOT NULL,
    command_id  text        NOT NULL,
    tenant_id   text        NOT NULL,
    record      jsonb       NOT NULL,
    appended_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partition, "offset")
);

-- Members of consumer groups, with a heartbeat (every second). Whether a member is live is told
-- by its presence lock, held on its connection, not by this table: rows of members gone for an
-- hour are deleted (event-log/src/membership).
CREATE TABLE IF NOT EXISTS eventlog.consumers (
    "group"   text        NOT NULL,
    member_id text        NOT NULL,
    seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY ("group", member_id)
);
