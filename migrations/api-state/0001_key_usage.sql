-- When each API key was last used. Kept by the API processes themselves (flushed about once a
-- second, not written per request) and not derived from the event log, so it lives outside the
-- read models and a replay leaves it alone.
CREATE TABLE key_usage (
    key_id        text PRIMARY KEY,
    last_used_at  timestamptz NOT NULL
);
