-- The schedulers' claims on due cron fires: one scheduler appends each `(job, scheduledFor)`
-- (the projector would ignore a second one anyway). A claim whose fire has not been applied
-- after a while (its scheduler died between claiming and appending) can be taken over.
-- Not derived from the log: a replay leaves it alone.
CREATE TABLE fire_claims (
    cron_job_id   text NOT NULL,
    scheduled_for timestamptz NOT NULL,
    claimed_at    timestamptz NOT NULL,
    PRIMARY KEY (cron_job_id, scheduled_for)
);
CREATE INDEX fire_claims_by_age ON fire_claims (claimed_at);
