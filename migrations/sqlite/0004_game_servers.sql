-- Game servers polled over A2S, and the time staff spend on them (seed 003).

-- Optional profile fields shown on the staff details page.
ALTER TABLE users ADD COLUMN steam_id TEXT;
ALTER TABLE users ADD COLUMN discord TEXT;

CREATE TABLE game_servers (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id                BIGINT  NOT NULL REFERENCES organizations(id),
    name                  TEXT    NOT NULL,
    address               TEXT    NOT NULL,
    enabled               BIGINT  NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    -- What the last answered A2S_INFO said (for display).
    server_name           TEXT,
    map                   TEXT,
    players_online        BIGINT,
    max_players           BIGINT,
    last_polled_at        BIGINT,
    last_ok_at            BIGINT,
    -- Polls in a row without an answer; 3 close the server's open sessions.
    consecutive_failures  BIGINT  NOT NULL DEFAULT 0,
    created_at            BIGINT  NOT NULL
);
CREATE UNIQUE INDEX game_servers_org_address ON game_servers (org_id, address);

CREATE TABLE server_sessions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            BIGINT  NOT NULL REFERENCES organizations(id),
    user_id           BIGINT  NOT NULL REFERENCES users(id),
    server_id         BIGINT  NOT NULL REFERENCES game_servers(id),
    player_name       TEXT    NOT NULL,
    join_time         BIGINT  NOT NULL,
    -- The last poll that saw the player: where a session ends when nobody could watch it.
    last_seen_at      BIGINT  NOT NULL,
    leave_time        BIGINT,
    duration_seconds  BIGINT,
    end_reason        TEXT    CHECK (end_reason IN ('left', 'server_unreachable', 'hub_restart', 'server_disabled')),
    created_at        BIGINT  NOT NULL,
    CHECK (leave_time IS NULL OR leave_time >= join_time),
    CHECK ((leave_time IS NULL) = (duration_seconds IS NULL))
);
-- At most one open session per staff member and server, enforced by the database.
CREATE UNIQUE INDEX server_sessions_one_open ON server_sessions (user_id, server_id) WHERE leave_time IS NULL;
CREATE INDEX server_sessions_user_join ON server_sessions (user_id, join_time);
CREATE INDEX server_sessions_server_open ON server_sessions (server_id, leave_time);
