-- Game server coverage (SPEC §15): staff wanted while players are on, and the alert state the
-- poller keeps (short of staff since, alert raised at).
ALTER TABLE game_servers ADD COLUMN min_staff BIGINT NOT NULL DEFAULT 0;
ALTER TABLE game_servers ADD COLUMN alert_after_minutes BIGINT NOT NULL DEFAULT 5;
ALTER TABLE game_servers ADD COLUMN short_since BIGINT;
ALTER TABLE game_servers ADD COLUMN alert_raised_at BIGINT;
