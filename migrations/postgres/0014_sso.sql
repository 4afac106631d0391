-- Single sign-on (SPEC §17): an organization's OpenID Connect provider, and the sign-ins on
-- their way through it. The flows live in the database, not in one node's memory: the
-- provider may send the browser back to another node of a cluster.

-- At most one provider per organization. The client secret is kept in clear: the hub sends
-- it to the provider's token endpoint (the API never returns it). NULL: a public client.
CREATE TABLE org_sso (
    org_id           BIGINT  PRIMARY KEY REFERENCES organizations(id),
    issuer           TEXT    NOT NULL,
    client_id        TEXT    NOT NULL,
    client_secret    TEXT,
    -- JSON array of lower-case e-mail domains whose people join as members at their first
    -- sign-in.
    allowed_domains  TEXT    NOT NULL DEFAULT '[]',
    -- 1: password logins of the organization are refused, except its owners' (break-glass).
    sso_only         BIGINT  NOT NULL DEFAULT 0 CHECK (sso_only IN (0, 1)),
    updated_at       BIGINT  NOT NULL,
    updated_by       BIGINT  REFERENCES users(id)
);

-- One row per sign-in sent to a provider: single use (used_at), 10 minutes. Only the SHA-256
-- of `state` is stored (the browser carries it in the query and in a cookie); the nonce and
-- the PKCE verifier are needed in clear to finish the sign-in. Rows expired for an hour are
-- deleted when new ones are written.
CREATE TABLE sso_flows (
    id             BIGSERIAL PRIMARY KEY,
    state_hash     TEXT    NOT NULL,
    org_id         BIGINT  NOT NULL REFERENCES organizations(id),
    nonce          TEXT    NOT NULL,
    pkce_verifier  TEXT    NOT NULL,
    -- Where to go once signed in (a path of this hub), when not `/`.
    return_to      TEXT,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    used_at        BIGINT
);
CREATE UNIQUE INDEX sso_flows_state ON sso_flows (state_hash);
CREATE INDEX sso_flows_expires ON sso_flows (expires_at);
