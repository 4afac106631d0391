-- Cluster mode (PostgreSQL only; SQLite stays single-node).

-- The outbox: every pushed event, written in the transaction of the change it reports.
-- `seq` counts per organization without gaps and in commit order: the transaction that
-- appends an event holds its organization's head row until it commits.
CREATE TABLE org_event_heads (
    org_id BIGINT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    last_seq BIGINT NOT NULL
);

CREATE TABLE events (
    org_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX events_created_at ON events (created_at);

-- Hub processes: a heartbeat every few seconds; a node silent past its lease is marked dead
-- by the others. A node that finds itself marked dead rejoins with a new incarnation.
CREATE TABLE cluster_nodes (
    node_id TEXT PRIMARY KEY,
    incarnation BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('alive', 'dead', 'left')),
    listen TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
