-- A key's row is inserted small (~0.2 KB: the claim) and grows once, when its answer is kept
-- (~0.9 KB with the response's body). Pages filled to 100 % left that update no room on its
-- page: each one moved the row and wrote both indexes again (2.8 WAL records per answer). With
-- a quarter of each page filled by inserts, most answers stay on their row's page (a HOT update,
-- no index entries: 1.35 WAL records per answer, 24 -> 17 µs of the server's time each;
-- docs/BENCHMARKS.md, fifteenth session). Completed rows still fill the pages; the dead claim
-- versions are pruned on the page instead of left to vacuum. Applies to pages written from now.
ALTER TABLE idempotency_keys SET (fillfactor = 25);
