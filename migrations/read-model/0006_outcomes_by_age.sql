-- Retention deletes command outcomes oldest first, in small batches.
CREATE INDEX command_outcomes_by_age ON command_outcomes (decided_at);
