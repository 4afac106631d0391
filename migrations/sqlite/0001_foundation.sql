-- Organizations, users, auth tokens, the policy row, and presence.
-- Instants are milliseconds since the Unix epoch (BIGINT), flags are 0/1.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL,
    timezone    TEXT    NOT NULL DEFAULT 'UTC',
    created_at  BIGINT  NOT NULL
);

CREATE TABLE users (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           BIGINT  NOT NULL REFERENCES organizations(id),
    email            TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'supervisor', 'member')),
    password_hash    TEXT    NOT NULL,
    game_name        TEXT,
    active           BIGINT  NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at       BIGINT  NOT NULL,
    last_activity_at BIGINT
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE auth_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    org_id      BIGINT  NOT NULL REFERENCES organizations(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('web', 'device', 'api')),
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    revoked_at  BIGINT
);
CREATE UNIQUE INDEX auth_tokens_hash ON auth_tokens (token_hash);
CREATE INDEX auth_tokens_user ON auth_tokens (user_id);

CREATE TABLE org_policies (
    org_id          BIGINT  PRIMARY KEY REFERENCES organizations(id),
    config_version  BIGINT  NOT NULL,
    config          TEXT    NOT NULL,
    updated_at      BIGINT  NOT NULL,
    updated_by      BIGINT
);

-- One row per hub start: presence written under an older epoch is stale by definition.
CREATE TABLE hub_epochs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  BIGINT  NOT NULL
);

CREATE TABLE presence (
    user_id          BIGINT  PRIMARY KEY REFERENCES users(id),
    org_id           BIGINT  NOT NULL REFERENCES organizations(id),
    status           TEXT    NOT NULL CHECK (status IN ('active', 'idle', 'offline')),
    last_activity_at BIGINT,
    hub_epoch        BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX presence_updated ON presence (updated_at);
