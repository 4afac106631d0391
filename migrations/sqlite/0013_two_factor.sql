-- Two-factor sign-in (SPEC §17): a user's TOTP secret, their recovery codes, the second step
-- of a login in progress, and whom an organization requires it of. Every guard against a
-- code used twice lives here (not in one node's memory), so it holds across a cluster.

-- One row per user who set up TOTP; `enabled_at` stays NULL until a code confirmed the set-up.
CREATE TABLE user_totp (
    user_id     BIGINT  PRIMARY KEY REFERENCES users(id),
    org_id      BIGINT  NOT NULL REFERENCES organizations(id),
    -- Base32 (RFC 4648, no padding), as the authenticator app holds it.
    secret      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    enabled_at  BIGINT,
    -- The 30-second time step of the last code accepted: a code is accepted only for a newer
    -- step (one conditional UPDATE), so no code works twice.
    last_step   BIGINT  NOT NULL DEFAULT 0
);

-- Ten single-use codes for when the phone is gone; only their SHA-256 is stored.
CREATE TABLE recovery_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    code_hash   TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    used_at     BIGINT
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- A password accepted for a user with two-factor sign-in: the code is asked for next, with
-- this one-time token (only its SHA-256 is stored), on any node.
CREATE TABLE mfa_challenges (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    -- The kind of login token the finished login gets.
    kind        TEXT    NOT NULL CHECK (kind IN ('web', 'device')),
    client_ip   TEXT,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    -- Wrong codes so far; at the limit the challenge is dead.
    attempts    BIGINT  NOT NULL DEFAULT 0,
    used_at     BIGINT
);
CREATE UNIQUE INDEX mfa_challenges_hash ON mfa_challenges (token_hash);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);

-- Whom the organization requires two-factor sign-in of: nobody, owners and admins, everyone.
ALTER TABLE organizations ADD COLUMN require_2fa_for TEXT NOT NULL DEFAULT 'none'
    CHECK (require_2fa_for IN ('none', 'admins', 'everyone'));
