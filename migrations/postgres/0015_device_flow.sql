-- The agent's sign-in without a password (SPEC §17, RFC 8628): one row per code an agent
-- asked for, in the database so that any node of a cluster can answer its polls and its
-- approval. Only the SHA-256 of the device code (the agent's polling secret) is stored; the
-- user code is what a person types (8 letters, kept without the dash). Expired rows are
-- deleted by the hourly cleanup.
CREATE TABLE device_grants (
    id                BIGSERIAL PRIMARY KEY,
    device_code_hash  TEXT    NOT NULL,
    user_code         TEXT    NOT NULL,
    client_name       TEXT    NOT NULL,
    client_ip         TEXT,
    created_at        BIGINT  NOT NULL,
    expires_at        BIGINT  NOT NULL,
    -- Grows by 5 s with each poll that came too soon (slow_down).
    interval_ms       BIGINT  NOT NULL,
    last_polled_at    BIGINT,
    state             TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'denied', 'used')),
    -- Who approved or denied it, and from where: an approved code logs in as this user.
    user_id           BIGINT  REFERENCES users(id),
    org_id            BIGINT  REFERENCES organizations(id),
    decided_at        BIGINT,
    decided_ip        TEXT,
    CHECK ((state = 'pending') = (user_id IS NULL))
);
CREATE UNIQUE INDEX device_grants_device_code ON device_grants (device_code_hash);
CREATE UNIQUE INDEX device_grants_user_code ON device_grants (user_code);
CREATE INDEX device_grants_expires ON device_grants (expires_at);
