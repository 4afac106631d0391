-- Working time (SPEC §19): planned hours, holidays and absences. Dates are local dates of the
-- organization's timezone, stored as 'YYYY-MM-DD' text (they sort and compare as dates).

-- Planned minutes per weekday, valid from a date until the next plan of the same person. A
-- row without user_id is the organization's default for people without a plan of their own.
CREATE TABLE work_plans (
    id           BIGSERIAL PRIMARY KEY,
    org_id       BIGINT  NOT NULL REFERENCES organizations(id),
    user_id      BIGINT  REFERENCES users(id),
    valid_from   TEXT    NOT NULL,
    mon_minutes  BIGINT  NOT NULL CHECK (mon_minutes BETWEEN 0 AND 1440),
    tue_minutes  BIGINT  NOT NULL CHECK (tue_minutes BETWEEN 0 AND 1440),
    wed_minutes  BIGINT  NOT NULL CHECK (wed_minutes BETWEEN 0 AND 1440),
    thu_minutes  BIGINT  NOT NULL CHECK (thu_minutes BETWEEN 0 AND 1440),
    fri_minutes  BIGINT  NOT NULL CHECK (fri_minutes BETWEEN 0 AND 1440),
    sat_minutes  BIGINT  NOT NULL CHECK (sat_minutes BETWEEN 0 AND 1440),
    sun_minutes  BIGINT  NOT NULL CHECK (sun_minutes BETWEEN 0 AND 1440),
    created_by   BIGINT  REFERENCES users(id),
    created_at   BIGINT  NOT NULL
);
-- One plan a person (or the default) per start date; setting it again replaces it.
CREATE UNIQUE INDEX work_plans_user_from ON work_plans (org_id, user_id, valid_from) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX work_plans_default_from ON work_plans (org_id, valid_from) WHERE user_id IS NULL;

-- Days nobody is planned to work (an ICS import adds many at once).
CREATE TABLE holidays (
    id          BIGSERIAL PRIMARY KEY,
    org_id      BIGINT  NOT NULL REFERENCES organizations(id),
    day         TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE UNIQUE INDEX holidays_org_day ON holidays (org_id, day);

-- Vacation, sickness and other absences, full or half days from first_day to last_day
-- (inclusive). Requested by the member, approved or refused by a supervisor or above; an
-- approved absence counts as planned time.
CREATE TABLE absences (
    id             BIGSERIAL PRIMARY KEY,
    org_id         BIGINT  NOT NULL REFERENCES organizations(id),
    user_id        BIGINT  NOT NULL REFERENCES users(id),
    kind           TEXT    NOT NULL CHECK (kind IN ('vacation', 'sick', 'other')),
    first_day      TEXT    NOT NULL,
    last_day       TEXT    NOT NULL,
    half_day       BIGINT  NOT NULL DEFAULT 0 CHECK (half_day IN (0, 1)),
    note           TEXT,
    state          TEXT    NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'approved', 'refused', 'cancelled')),
    requested_by   BIGINT  NOT NULL REFERENCES users(id),
    requested_at   BIGINT  NOT NULL,
    decided_by     BIGINT  REFERENCES users(id),
    decided_at     BIGINT,
    decision_note  TEXT,
    CHECK (last_day >= first_day),
    CHECK (half_day = 0 OR first_day = last_day)
);
CREATE INDEX absences_user_days ON absences (user_id, first_day);
CREATE INDEX absences_org_days ON absences (org_id, first_day);
