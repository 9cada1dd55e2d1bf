-- Webhook endpoints (contract section 9). The signing secrets are sealed with the operator key
-- (AES-256-GCM under AGENFLEET_SECRET_KEY, `keyid:base64`); only the dispatcher opens them.
CREATE TABLE webhooks (
    tenant_id                  text NOT NULL,
    id                         text NOT NULL,
    url                        text NOT NULL,
    events                     text[] NOT NULL,
    description                text,
    enabled                    boolean NOT NULL,
    disabled_reason            text,
    secret                     text NOT NULL,
    previous_secret            text,
    previous_secret_expires_at timestamptz,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);


-- The signing secret of each agent's gateway (`config.gateway`), sealed like the endpoints'.
-- User messages are delivered to the gateway signed with it.
CREATE TABLE agent_gateway_secrets (
    tenant_id text NOT NULL,
    agent_id  text NOT NULL,
    secret    text NOT NULL,
    PRIMARY KEY (tenant_id, agent_id)
);
