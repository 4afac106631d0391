-- Activity of running work sessions, from agent heartbeats (policy switches
-- enable_keyboard_tracking, enable_mouse_tracking, website_tracking_enabled).
-- Written coalesced by the hub: each flush adds its sums to the rows.

-- One row per session and 10-minute slot (slot_start: ms since the epoch, a multiple of 600000).
CREATE TABLE session_activity (
    session_id          BIGINT  NOT NULL REFERENCES work_sessions(id),
    slot_start          BIGINT  NOT NULL,
    org_id              BIGINT  NOT NULL REFERENCES organizations(id),
    user_id             BIGINT  NOT NULL REFERENCES users(id),
    heartbeats          BIGINT  NOT NULL DEFAULT 0,
    active_heartbeats   BIGINT  NOT NULL DEFAULT 0,
    counted_heartbeats  BIGINT  NOT NULL DEFAULT 0,
    input_heartbeats    BIGINT  NOT NULL DEFAULT 0,
    key_presses         BIGINT  NOT NULL DEFAULT 0,
    mouse_events        BIGINT  NOT NULL DEFAULT 0,
    updated_at          BIGINT  NOT NULL,
    PRIMARY KEY (session_id, slot_start)
);
CREATE INDEX session_activity_user ON session_activity (user_id);

-- Time attributed to each focused application during a session.
CREATE TABLE session_app_time (
    session_id   BIGINT  NOT NULL REFERENCES work_sessions(id),
    app          TEXT    NOT NULL,
    org_id       BIGINT  NOT NULL REFERENCES organizations(id),
    user_id      BIGINT  NOT NULL REFERENCES users(id),
    active_ms    BIGINT  NOT NULL DEFAULT 0,
    last_title   TEXT,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (session_id, app)
);
CREATE INDEX session_app_time_user ON session_app_time (user_id);
