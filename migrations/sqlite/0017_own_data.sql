-- The person's own data (SPEC §18): screenshots a member removed, with the activity slot they
-- belong to, and erased users.

-- A 10-minute activity slot whose screenshot its owner deleted: the slot's time is not
-- counted (it is subtracted like discarded idle time, overlaps counted once). The row is kept
-- after the screenshot is gone so that every total stays the same on every later count.
CREATE TABLE removed_slots (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        BIGINT  NOT NULL REFERENCES organizations(id),
    session_id    BIGINT  NOT NULL REFERENCES work_sessions(id),
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    slot_start    BIGINT  NOT NULL,
    slot_end      BIGINT  NOT NULL,
    removed_by    BIGINT  REFERENCES users(id),
    removed_at    BIGINT  NOT NULL,
    CHECK (slot_end > slot_start)
);
CREATE UNIQUE INDEX removed_slots_session_slot ON removed_slots (session_id, slot_start);
CREATE INDEX removed_slots_org_slot ON removed_slots (org_id, slot_start);

-- When the owner erased the person: name, e-mail and everything personal are gone, the
-- sessions' times stay for the totals under "erased user #id".
ALTER TABLE users ADD COLUMN erased_at BIGINT;

-- Whom an audit entry is about (the user, or the owner of the session, screenshot or absence
-- it names): the person's own page lists these, including who viewed their screenshots.
ALTER TABLE audit_log ADD COLUMN subject_user_id BIGINT;
UPDATE audit_log SET subject_user_id = CASE target_type
    WHEN 'user' THEN target_id
    WHEN 'session' THEN (SELECT s.user_id FROM work_sessions s WHERE s.id = audit_log.target_id)
    WHEN 'screenshot' THEN (SELECT s.user_id FROM screenshots s WHERE s.id = audit_log.target_id)
    WHEN 'absence' THEN (SELECT a.user_id FROM absences a WHERE a.id = audit_log.target_id)
    END;
CREATE INDEX audit_log_subject ON audit_log (subject_user_id, created_at);
