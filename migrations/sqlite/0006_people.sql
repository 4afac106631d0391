-- Self-hosting: one-time links (first-run setup, invites, password resets), what a login
-- token was last used for, a user's own timezone, deleted game servers.

-- A user's timezone; NULL follows the organization's.
ALTER TABLE users ADD COLUMN timezone TEXT;

-- Devices: when and from where a token was last used (written at most once a minute).
ALTER TABLE auth_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE auth_tokens ADD COLUMN client_ip TEXT;

-- Single-use links; only the SHA-256 of the token is stored.
--   setup:  the first organization and its owner (no org, no user yet)
--   invite: a new user sets their first password
--   reset:  a password reset issued by an admin or from the command line
CREATE TABLE one_time_links (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('setup', 'invite', 'reset')),
    org_id      BIGINT  REFERENCES organizations(id),
    user_id     BIGINT  REFERENCES users(id),
    created_by  BIGINT  REFERENCES users(id),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    used_at     BIGINT,
    CHECK ((kind = 'setup') = (user_id IS NULL))
);
CREATE UNIQUE INDEX one_time_links_hash ON one_time_links (token_hash);
CREATE INDEX one_time_links_user ON one_time_links (user_id);

-- A deleted game server keeps its row (its staff sessions still name it) but is no longer
-- listed or polled, and its address may be added again.
ALTER TABLE game_servers ADD COLUMN deleted_at BIGINT;
DROP INDEX game_servers_org_address;
CREATE UNIQUE INDEX game_servers_org_address ON game_servers (org_id, address) WHERE deleted_at IS NULL;
