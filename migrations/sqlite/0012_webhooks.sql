-- Webhooks (SPEC §15): where an organization wants its events POSTed, and every delivery
-- with its attempts (one row per event and webhook, made in the transaction of the change).
CREATE TABLE webhooks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       BIGINT  NOT NULL REFERENCES organizations(id),
    url          TEXT    NOT NULL,
    -- JSON array of event kinds ("session.started", ...).
    events       TEXT    NOT NULL,
    -- Signs each body (HMAC-SHA256); shown once, at creation.
    secret       TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    enabled      BIGINT  NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at   BIGINT  NOT NULL,
    created_by   BIGINT  REFERENCES users(id),
    deleted_at   BIGINT
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       BIGINT  NOT NULL REFERENCES webhooks(id),
    org_id           BIGINT  NOT NULL REFERENCES organizations(id),
    -- X-Presence-Delivery: the same on every attempt, so receivers can drop repeats.
    delivery_id      TEXT    NOT NULL,
    event            TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    created_at       BIGINT  NOT NULL,
    last_attempt_at  BIGINT,
    last_status      BIGINT,
    last_error       TEXT,
    delivered_at     BIGINT,
    -- The node sending it now, and until when that claim holds (cluster mode).
    claimed_by       TEXT,
    claimed_until    BIGINT
);
CREATE UNIQUE INDEX webhook_deliveries_delivery ON webhook_deliveries (delivery_id);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (state, webhook_id, id);
