-- Every message moves its session's last_activity_at. With that column in an index, no update
-- of a session could be HOT: each message wrote a new entry into each of the table's five
-- indexes. The index served nothing else: a prune's filter ("idle before", or no bound) cannot
-- use it as a range, and reads a tenant's active sessions by sessions_active_by_agent (12.0 ms
-- with this index, 13.1 ms without, for 100,000 active sessions of one tenant); the count of a
-- tenant's active sessions reads the same partial index. Messages from 16 clients: +5 %
-- (docs/BENCHMARKS.md).
DROP INDEX IF EXISTS sessions_active;
