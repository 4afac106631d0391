-- Timesheets: corrections (tombstones), idle spans, automatic stops, approved weeks.
--
-- SQLite cannot change a CHECK constraint in place, so `work_sessions` is rebuilt (SQLite's
-- documented procedure). Its foreign keys are off while migrations run (`Store::migrate`
-- switches them off around sqlx's transaction and checks every key afterwards).

CREATE TABLE work_sessions_next (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            BIGINT  NOT NULL REFERENCES organizations(id),
    user_id           BIGINT  NOT NULL REFERENCES users(id),
    ticket_id         BIGINT  REFERENCES tickets(id),
    started_at        BIGINT  NOT NULL,
    ended_at          BIGINT,
    duration_seconds  BIGINT,
    note              TEXT,
    source            TEXT    NOT NULL CHECK (source IN ('agent', 'web', 'manual')),
    end_reason        TEXT    CHECK (end_reason IN ('stopped', 'admin_ended', 'auto_stopped')),
    end_note          TEXT,
    ended_by          BIGINT  REFERENCES users(id),
    client_id         TEXT,
    created_at        BIGINT  NOT NULL,
    -- Idle time the user or the policy discarded: not counted in duration_seconds.
    discarded_seconds BIGINT  NOT NULL DEFAULT 0,
    -- A deleted session is kept as a tombstone: not counted, not listed, kept for the audit.
    deleted_at        BIGINT,
    deleted_by        BIGINT  REFERENCES users(id),
    delete_reason     TEXT,
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    CHECK ((ended_at IS NULL) = (duration_seconds IS NULL)),
    CHECK (deleted_at IS NULL OR ended_at IS NOT NULL)
);

INSERT INTO work_sessions_next (id, org_id, user_id, ticket_id, started_at, ended_at,
    duration_seconds, note, source, end_reason, end_note, ended_by, client_id, created_at)
SELECT id, org_id, user_id, ticket_id, started_at, ended_at, duration_seconds, note, source,
    end_reason, end_note, ended_by, client_id, created_at
FROM work_sessions;

DROP TABLE work_sessions;
ALTER TABLE work_sessions_next RENAME TO work_sessions;

CREATE UNIQUE INDEX work_sessions_one_active ON work_sessions (user_id) WHERE ended_at IS NULL;
CREATE UNIQUE INDEX work_sessions_client_id ON work_sessions (user_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX work_sessions_user_started ON work_sessions (user_id, started_at);
CREATE INDEX work_sessions_org_started ON work_sessions (org_id, started_at);
CREATE INDEX work_sessions_ticket ON work_sessions (ticket_id);

-- A return from idle inside a running session, as the agent reported it.
CREATE TABLE idle_spans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      BIGINT  NOT NULL REFERENCES organizations(id),
    session_id  BIGINT  NOT NULL REFERENCES work_sessions(id),
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    started_at  BIGINT  NOT NULL,
    ended_at    BIGINT  NOT NULL,
    -- pending: the agent asks (policy `ask`); unanswered it counts as kept.
    decision    TEXT    NOT NULL CHECK (decision IN ('pending', 'kept', 'discarded')),
    decided_by  BIGINT  REFERENCES users(id),
    decided_at  BIGINT,
    client_id   TEXT,
    created_at  BIGINT  NOT NULL,
    CHECK (ended_at > started_at)
);
CREATE INDEX idle_spans_session ON idle_spans (session_id);
CREATE UNIQUE INDEX idle_spans_client_id ON idle_spans (session_id, client_id) WHERE client_id IS NOT NULL;

-- A user's ISO week (in the organization's timezone) as approved or reopened.
CREATE TABLE timesheet_weeks (
    org_id      BIGINT  NOT NULL REFERENCES organizations(id),
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    week        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('open', 'approved')),
    changed_by  BIGINT  REFERENCES users(id),
    changed_at  BIGINT  NOT NULL,
    PRIMARY KEY (org_id, user_id, week)
);
