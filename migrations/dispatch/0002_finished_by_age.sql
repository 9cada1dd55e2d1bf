-- Retention deletes finished deliveries (and, by cascade, their attempts) oldest first, in small
-- batches: this index finds them without reading the pending ones or the whole table.
CREATE INDEX deliveries_finished ON deliveries (updated_at) WHERE status <> 'pending';
