-- merge_latency (0002) added two latency sketches bucket by bucket. The rollups' upserts have
-- merged inline since: Postgres planned the function, which it cannot inline (it aggregates),
-- on every execution of the statement calling it (docs/BENCHMARKS.md). Nothing calls it.
DROP FUNCTION IF EXISTS merge_latency(jsonb, jsonb);
