-- Tickets, work sessions on them, and the audit log.

CREATE TABLE tickets (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       BIGINT  NOT NULL REFERENCES organizations(id),
    number       BIGINT  NOT NULL,
    title        TEXT    NOT NULL,
    description  TEXT,
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by   BIGINT  REFERENCES users(id),
    created_at   BIGINT  NOT NULL
);
CREATE UNIQUE INDEX tickets_org_number ON tickets (org_id, number);

CREATE TABLE work_sessions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id            BIGINT  NOT NULL REFERENCES organizations(id),
    user_id           BIGINT  NOT NULL REFERENCES users(id),
    ticket_id         BIGINT  REFERENCES tickets(id),
    started_at        BIGINT  NOT NULL,
    ended_at          BIGINT,
    duration_seconds  BIGINT,
    note              TEXT,
    source            TEXT    NOT NULL CHECK (source IN ('agent', 'web', 'manual')),
    end_reason        TEXT    CHECK (end_reason IN ('stopped', 'admin_ended')),
    end_note          TEXT,
    ended_by          BIGINT  REFERENCES users(id),
    client_id         TEXT,
    created_at        BIGINT  NOT NULL,
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    CHECK ((ended_at IS NULL) = (duration_seconds IS NULL))
);
-- At most one active session per user, enforced by the database.
CREATE UNIQUE INDEX work_sessions_one_active ON work_sessions (user_id) WHERE ended_at IS NULL;
-- A replayed write with the same client id finds the first one instead of creating another.
CREATE UNIQUE INDEX work_sessions_client_id ON work_sessions (user_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX work_sessions_user_started ON work_sessions (user_id, started_at);
CREATE INDEX work_sessions_org_started ON work_sessions (org_id, started_at);
CREATE INDEX work_sessions_ticket ON work_sessions (ticket_id);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       BIGINT  NOT NULL REFERENCES organizations(id),
    actor_id     BIGINT  REFERENCES users(id),
    action       TEXT    NOT NULL,
    target_type  TEXT,
    target_id    BIGINT,
    ip           TEXT,
    details      TEXT    NOT NULL DEFAULT '{}',
    created_at   BIGINT  NOT NULL
);
CREATE INDEX audit_log_org_created ON audit_log (org_id, created_at);
CREATE INDEX audit_log_org_action ON audit_log (org_id, action);
