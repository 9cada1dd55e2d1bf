-- Latency sketches (see domain::latency) become objects of counts by bucket,
-- {"<bucket>": count, …}, instead of arrays of pairs, [[bucket, count], …]: a batch of replies
-- adds its few buckets to each stored sketch by looking those keys up, where the arrays had to
-- be unpacked, grouped and packed again whole. With replies spread over 0.2–20 s an agent's
-- hourly sketch holds about a hundred buckets, and those merges took most of a batch of
-- replies' time in Postgres (docs/BENCHMARKS.md, twenty-third session).
--
-- Every stored sketch is converted here, in this transaction (a bucket listed twice, which the
-- merges never wrote, is added up): about 75 µs a row on 2 cores (200,000 rows of 30 buckets in
-- 15 s), during which the projection waits for the migration.
CREATE FUNCTION pg_temp.by_bucket(pairs jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT coalesce(jsonb_object_agg(bucket, total), '{}'::jsonb)
    FROM (SELECT pair ->> 0 AS bucket, sum((pair ->> 1)::numeric) AS total
          FROM jsonb_array_elements(pairs) AS pair GROUP BY 1) AS buckets
$$;

UPDATE metrics_agent_hourly SET latency = pg_temp.by_bucket(latency)
WHERE jsonb_typeof(latency) = 'array';
UPDATE metrics_tenant_hourly SET latency = pg_temp.by_bucket(latency)
WHERE jsonb_typeof(latency) = 'array';
UPDATE metrics_tenant_daily SET latency = pg_temp.by_bucket(latency)
WHERE jsonb_typeof(latency) = 'array';

DROP FUNCTION pg_temp.by_bucket(jsonb);
