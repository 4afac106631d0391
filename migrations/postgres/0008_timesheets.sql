-- Timesheets: corrections (tombstones), idle spans, automatic stops, approved weeks.

ALTER TABLE work_sessions DROP CONSTRAINT work_sessions_end_reason_check;
ALTER TABLE work_sessions ADD CONSTRAINT work_sessions_end_reason_check
    CHECK (end_reason IN ('stopped', 'admin_ended', 'auto_stopped'));

-- Idle time the user or the policy discarded: not counted in duration_seconds.
ALTER TABLE work_sessions ADD COLUMN discarded_seconds BIGINT NOT NULL DEFAULT 0;
-- A deleted session is kept as a tombstone: not counted, not listed, kept for the audit.
ALTER TABLE work_sessions ADD COLUMN deleted_at BIGINT;
ALTER TABLE work_sessions ADD COLUMN deleted_by BIGINT REFERENCES users(id);
ALTER TABLE work_sessions ADD COLUMN delete_reason TEXT;
ALTER TABLE work_sessions ADD CONSTRAINT work_sessions_deleted_ended
    CHECK (deleted_at IS NULL OR ended_at IS NOT NULL);

-- A tombstone no longer holds its time: the overlap rule covers live sessions only.
ALTER TABLE work_sessions DROP CONSTRAINT work_sessions_no_overlap;
ALTER TABLE work_sessions ADD CONSTRAINT work_sessions_no_overlap
    EXCLUDE USING gist (user_id WITH =, int8range(started_at, COALESCE(ended_at, 9223372036854775807), '[)') WITH &&)
    WHERE (deleted_at IS NULL);

-- A return from idle inside a running session, as the agent reported it.
CREATE TABLE idle_spans (
    id          BIGSERIAL PRIMARY KEY,
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
