-- A user's custom status or break (SPEC §15), with do-not-disturb; cleared at status_until.
ALTER TABLE users ADD COLUMN status_kind TEXT CHECK (status_kind IN ('custom', 'break'));
ALTER TABLE users ADD COLUMN status_text TEXT;
ALTER TABLE users ADD COLUMN status_emoji TEXT;
ALTER TABLE users ADD COLUMN status_until BIGINT;
ALTER TABLE users ADD COLUMN status_dnd BIGINT NOT NULL DEFAULT 0 CHECK (status_dnd IN (0, 1));
ALTER TABLE users ADD COLUMN status_set_at BIGINT;
