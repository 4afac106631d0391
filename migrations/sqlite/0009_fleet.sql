-- The agent fleet: one row per agent device (its device token), what it reported and
-- whether it is connected. Written coalesced by the hub (`hub::devices`).
CREATE TABLE agent_devices (
    token_id           BIGINT  PRIMARY KEY REFERENCES auth_tokens(id) ON DELETE CASCADE,
    org_id             BIGINT  NOT NULL REFERENCES organizations(id),
    user_id            BIGINT  NOT NULL REFERENCES users(id),
    agent_version      TEXT,
    os                 TEXT,
    -- The policy version the agent acknowledged (`config_applied`).
    config_version     BIGINT,
    config_applied_at  BIGINT,
    -- Whether a node holds its socket; trusted while last_seen_at is recent (nodes renew it).
    connected          BIGINT  NOT NULL DEFAULT 0 CHECK (connected IN (0, 1)),
    connected_at       BIGINT,
    last_seen_at       BIGINT  NOT NULL,
    capture_at         BIGINT,
    capture_error      TEXT
);
CREATE INDEX agent_devices_org ON agent_devices (org_id);
