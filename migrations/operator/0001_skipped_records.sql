-- Records an operator told the projector to pass over (`agenfleet partitions skip`): a record
-- that stopped its partition on a failure the projector would otherwise retry forever. Kept
-- outside the read models, so a rebuild reads the list and passes over the same records.
CREATE TABLE skipped_records (
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    command_id  text,
    tenant_id   text,
    kind        text NOT NULL,
    reason      text NOT NULL,
    skipped_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partition, "offset")
);
