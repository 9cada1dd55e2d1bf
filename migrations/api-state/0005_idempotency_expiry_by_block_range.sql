-- The hourly sweep of keys older than 24 hours (`read_store::idempotency::expire`) found them
-- through a b-tree on `created_at`, which cost every claimed key an index entry of its own
-- (a write of about 80 bytes of WAL, and a page split now and then) to serve one query an hour.
-- Keys are inserted in the order of their first use, so the table's block ranges hold nearly
-- ordered `created_at` values: a BRIN index (a few pages for millions of keys, nothing written
-- per insert until a range is summarized) finds the expired ranges as well. Ranges are
-- summarized as they fill (`autosummarize`); the few pages not summarized yet are the newest,
-- which the sweep reads and passes over.
DROP INDEX idempotency_keys_expiry;
CREATE INDEX idempotency_keys_expiry ON idempotency_keys USING brin (created_at)
    WITH (autosummarize = on);
